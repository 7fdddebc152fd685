#if canImport(Glibc)
  import CMalloc

  // One malloc arena for the whole process, set before any thread starts: the
  // parsing thread allocates the batches that the writing thread frees, and
  // with an arena per thread both arenas stayed mapped at their high-water
  // mark (peak RSS 67 MiB instead of 59 MiB on a 1M-line drop).
  mallopt(M_ARENA_MAX, 1)
#endif

SmartDepositCommand.main()
