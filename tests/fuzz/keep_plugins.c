/* LD_PRELOAD shim for the sanitizer run of tests/run.sh: makes dlclose() a
 * no-op. Open MPI unloads its MCA components (mca_*.so, PMIx plugins) in
 * MPI_Finalize, before LeakSanitizer reports at exit, so the allocations they
 * keep on purpose show up with "<unknown module>" frames that no suppression
 * can name. With the components still mapped, tests/fuzz/lsan.supp matches
 * them by library name and leaks in ntm itself still fail the test. Built
 * only with NTM_SANITIZE=ON, without instrumentation (it is preloaded into
 * mpirun as well). */
int dlclose(void* handle) {
  (void)handle;
  return 0;
}
