# Sourced by the benchmarks: timing and medians. Needs $work (the run's scratch folder).

elapsed() { # command... -> milliseconds on stdout; the output goes to $work/out, shown when it fails
  local start end
  start=$(date +%s%N)
  "$@" > "$work/out" 2>&1 || { echo "failed: $*" >&2; tail -5 "$work/out" >&2; exit 1; }
  end=$(date +%s%N)
  echo "$(( (end - start) / 1000000 ))"
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
