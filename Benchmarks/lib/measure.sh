# Sourced by the benchmarks: timing and medians. Needs $work (the run's scratch folder).

elapsed() { # command... -> milliseconds on stdout; the output goes to $work/out, shown when it fails
  local start end
  start=$(date +%s%N)
  "$@" > "$work/out" 2>&1 || { echo "failed: $*" >&2; tail -5 "$work/out" >&2; exit 1; }
  end=$(date +%s%N)
  echo "$(( (end - start) / 1000000 ))"
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# Drops files from the page cache, so each binary is measured as read back from disk: a binary just
# written by the linker (or copied) sits in large page-cache folios and maps up to 2 MB more.
evict() { # file...
  sync
  python3 -c 'import os, sys
for path in sys.argv[1:]:
    fd = os.open(path, os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)' "$@"
}
