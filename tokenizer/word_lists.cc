// The built-in word lists of the segmenter. The English stop words are the
// union of scikit-learn's ENGLISH_STOP_WORDS (318 words, from the Glasgow
// Information Retrieval Group) and NLTK's English stop words (179 words; 60 of
// them are not in scikit-learn's: "just", "doing", "don't", "didn", ...):
// 378 words. The clinical ones, units and month names are ours.
#include <algorithm>
#include <string>
#include <vector>

#include "tokenizer/segmenter.h"

namespace ntm {

namespace {

const std::vector<std::string>& ScikitLearnStopWords() {
  static const std::vector<std::string> words = {
      "a",          "about",      "above",      "across",       "after",      "afterwards",
      "again",      "against",    "all",        "almost",       "alone",      "along",
      "already",    "also",       "although",   "always",       "am",         "among",
      "amongst",    "amoungst",   "amount",     "an",           "and",        "another",
      "any",        "anyhow",     "anyone",     "anything",     "anyway",     "anywhere",
      "are",        "around",     "as",         "at",           "back",       "be",
      "became",     "because",    "become",     "becomes",      "becoming",   "been",
      "before",     "beforehand", "behind",     "being",        "below",      "beside",
      "besides",    "between",    "beyond",     "bill",         "both",       "bottom",
      "but",        "by",         "call",       "can",          "cannot",     "cant",
      "co",         "con",        "could",      "couldnt",      "cry",        "de",
      "describe",   "detail",     "do",         "done",         "down",       "due",
      "during",     "each",       "eg",         "eight",        "either",     "eleven",
      "else",       "elsewhere",  "empty",      "enough",       "etc",        "even",
      "ever",       "every",      "everyone",   "everything",   "everywhere", "except",
      "few",        "fifteen",    "fifty",      "fill",         "find",       "fire",
      "first",      "five",       "for",        "former",       "formerly",   "forty",
      "found",      "four",       "from",       "front",        "full",       "further",
      "get",        "give",       "go",         "had",          "has",        "hasnt",
      "have",       "he",         "hence",      "her",          "here",       "hereafter",
      "hereby",     "herein",     "hereupon",   "hers",         "herself",    "him",
      "himself",    "his",        "how",        "however",      "hundred",    "i",
      "ie",         "if",         "in",         "inc",          "indeed",     "interest",
      "into",       "is",         "it",         "its",          "itself",     "keep",
      "last",       "latter",     "latterly",   "least",        "less",       "ltd",
      "made",       "many",       "may",        "me",           "meanwhile",  "might",
      "mill",       "mine",       "more",       "moreover",     "most",       "mostly",
      "move",       "much",       "must",       "my",           "myself",     "name",
      "namely",     "neither",    "never",      "nevertheless", "next",       "nine",
      "no",         "nobody",     "none",       "noone",        "nor",        "not",
      "nothing",    "now",        "nowhere",    "of",           "off",        "often",
      "on",         "once",       "one",        "only",         "onto",       "or",
      "other",      "others",     "otherwise",  "our",          "ours",       "ourselves",
      "out",        "over",       "own",        "part",         "per",        "perhaps",
      "please",     "put",        "rather",     "re",           "same",       "see",
      "seem",       "seemed",     "seeming",    "seems",        "serious",    "several",
      "she",        "should",     "show",       "side",         "since",      "sincere",
      "six",        "sixty",      "so",         "some",         "somehow",    "someone",
      "something",  "sometime",   "sometimes",  "somewhere",    "still",      "such",
      "system",     "take",       "ten",        "than",         "that",       "the",
      "their",      "them",       "themselves", "then",         "thence",     "there",
      "thereafter", "thereby",    "therefore",  "therein",      "thereupon",  "these",
      "they",       "thick",      "thin",       "third",        "this",       "those",
      "though",     "three",      "through",    "throughout",   "thru",       "thus",
      "to",         "together",   "too",        "top",          "toward",     "towards",
      "twelve",     "twenty",     "two",        "un",           "under",      "until",
      "up",         "upon",       "us",         "very",         "via",        "was",
      "we",         "well",       "were",       "what",         "whatever",   "when",
      "whence",     "whenever",   "where",      "whereafter",   "whereas",    "whereby",
      "wherein",    "whereupon",  "wherever",   "whether",      "which",      "while",
      "whither",    "who",        "whoever",    "whole",        "whom",       "whose",
      "why",        "will",       "with",       "within",       "without",    "would",
      "yet",        "you",        "your",       "yours",        "yourself",   "yourselves",
  };
  return words;
}

// NLTK's English list (nltk_data corpora/stopwords/english, 179 words), in its order.
const std::vector<std::string>& NltkStopWords() {
  static const std::vector<std::string> words = {
      "i",         "me",        "my",         "myself",   "we",      "our",     "ours",
      "ourselves", "you",       "you're",     "you've",   "you'll",  "you'd",   "your",
      "yours",     "yourself",  "yourselves", "he",       "him",     "his",     "himself",
      "she",       "she's",     "her",        "hers",     "herself", "it",      "it's",
      "its",       "itself",    "they",       "them",     "their",   "theirs",  "themselves",
      "what",      "which",     "who",        "whom",     "this",    "that",    "that'll",
      "these",     "those",     "am",         "is",       "are",     "was",     "were",
      "be",        "been",      "being",      "have",     "has",     "had",     "having",
      "do",        "does",      "did",        "doing",    "a",       "an",      "the",
      "and",       "but",       "if",         "or",       "because", "as",      "until",
      "while",     "of",        "at",         "by",       "for",     "with",    "about",
      "against",   "between",   "into",       "through",  "during",  "before",  "after",
      "above",     "below",     "to",         "from",     "up",      "down",    "in",
      "out",       "on",        "off",        "over",     "under",   "again",   "further",
      "then",      "once",      "here",       "there",    "when",    "where",   "why",
      "how",       "all",       "any",        "both",     "each",    "few",     "more",
      "most",      "other",     "some",       "such",     "no",      "nor",     "not",
      "only",      "own",       "same",       "so",       "than",    "too",     "very",
      "s",         "t",         "can",        "will",     "just",    "don",     "don't",
      "should",    "should've", "now",        "d",        "ll",      "m",       "o",
      "re",        "ve",        "y",          "ain",      "aren",    "aren't",  "couldn",
      "couldn't",  "didn",      "didn't",     "doesn",    "doesn't", "hadn",    "hadn't",
      "hasn",      "hasn't",    "haven",      "haven't",  "isn",     "isn't",   "ma",
      "mightn",    "mightn't",  "mustn",      "mustn't",  "needn",   "needn't", "shan",
      "shan't",    "shouldn",   "shouldn't",  "wasn",     "wasn't",  "weren",   "weren't",
      "won",       "won't",     "wouldn",     "wouldn't",
  };
  return words;
}

}  // namespace

const std::vector<std::string>& EnglishStopWords() {
  static const std::vector<std::string> words = [] {
    std::vector<std::string> all = ScikitLearnStopWords();
    all.insert(all.end(), NltkStopWords().begin(), NltkStopWords().end());
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
  }();
  return words;
}

const std::vector<std::string>& ClinicalStopWords() {
  // Words in nearly every note whatever its topic: titles, "patient",
  // boilerplate verbs of dictation. Kept short on purpose: max_df pruning of
  // the vocabulary removes the rest of the corpus-specific filler.
  static const std::vector<std::string> words = {
      "patient", "patients", "pt",    "history", "mr",      "mrs",      "ms",
      "dr",      "md",       "noted", "notes",   "reports", "reported", "states",
      "stated",  "today",    "year",  "old",     "e.g.",    "i.e.",     "etc"};
  return words;
}

const std::vector<std::string>& DefaultUnits() {
  // Units that turn a preceding number into <measure>: mass, volume, length,
  // concentration, pressure, rate and a few time units. Compared after
  // normalization (lower case); "%" also counts when written "50%".
  static const std::vector<std::string> units = {
      "mg",  "mcg",  "ug",   "g",     "gm",  "gram", "grams", "kg",   "lb",   "lbs", "oz",
      "ml",  "cc",   "l",    "dl",    "mm",  "cm",   "m",     "ft",   "mmhg", "meq", "mmol",
      "mol", "iu",   "unit", "units", "bpm", "hz",   "cal",   "kcal", "h",    "hr",  "hrs",
      "min", "mins", "sec",  "ms",    "gy",  "cgy",  "mev",   "kv"};
  return units;
}

const std::vector<std::string>& MonthNames() {
  // "month" is the literal de-identification placeholder (Month DD, YYYY).
  static const std::vector<std::string> months = {
      "january", "february", "march",    "april", "may", "june", "july", "august", "september",
      "october", "november", "december", "jan",   "feb", "mar",  "apr",  "jun",    "jul",
      "aug",     "sep",      "sept",     "oct",   "nov", "dec",  "month"};
  return months;
}

}  // namespace ntm
