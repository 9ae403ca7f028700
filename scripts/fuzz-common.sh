# Shared by scripts/fuzz-smoke.sh and scripts/fuzz-campaign.sh (sourced, not run): builds the
# fuzz targets of fuzz/ and runs them, two at a time, printing one table row per target.
#
# The stable toolchain runs cargo-fuzz through RUSTC_BOOTSTRAP=1 (it passes nightly-only flags
# such as -Zsanitizer=address to rustc); see fuzz/README.md for what was measured.

export RUSTC_BOOTSTRAP=1
# test-all.sh exports clippy-driver as the workspace's compiler for its later stages; the fuzz
# build is the same with or without it only when it is not set (and the fuzz crate is not
# linted as part of the test command).
unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
FUZZ_DIR=fuzz
FUZZ_TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
FUZZ_BIN_DIR=$FUZZ_DIR/target/$FUZZ_TRIPLE/release
FUZZ_JOBS=${FUZZ_JOBS:-2}
FUZZ_SANITIZER=${FUZZ_SANITIZER:-address}
# libFuzzer's limits: a unit running longer than -timeout seconds, or the process growing over
# -rss_limit_mb, is a finding like a crash.
FUZZ_FLAGS=(-rss_limit_mb=2048 -timeout=10 -print_final_stats=1)

fuzz_require_cargo_fuzz() {
  if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: cargo-fuzz is not installed (scripts/install-deps.sh installs it)" >&2
    exit 1
  fi
}

# Builds every target once: release, debug assertions and overflow checks, AddressSanitizer
# (cargo fuzz's defaults).
fuzz_build() {
  cargo fuzz build --fuzz-dir "$FUZZ_DIR" --sanitizer "$FUZZ_SANITIZER"
}

fuzz_targets() {
  cargo fuzz list --fuzz-dir "$FUZZ_DIR"
}

# fuzz_run_one TARGET SECONDS CORPUS_DIR RESULT_DIR: fuzzes TARGET on CORPUS_DIR (new inputs are
# written there) and writes RESULT_DIR/TARGET.{log,result}. The result line is
# "wall-seconds cpu-seconds executions status reproducer"; status is ok, crash, timeout, oom,
# leak, failed (exit code without a finding) or starved (see below).
#
# libFuzzer's -timeout counts wall-clock time: a campaign at nice 19 on cores busy with builds
# gets a few per cent of a CPU, so an input that needs 0.2 s of CPU can pass 10 s (seen: the
# profile target's 16 KB regress- input, 215 ms alone). A timeout's reproducer is therefore run
# once more, without a time limit, and only counts when it used 10 s of CPU or more; otherwise
# the status is "starved" (not a finding; the target's run ended early).
fuzz_run_one() {
  local target=$1 secs=$2 corpus=$3 results=$4
  local bin=$FUZZ_BIN_DIR/$target log=$results/$target.log artifacts=$FUZZ_DIR/artifacts/$target
  local rc=0 wall cpu user sys execs status reproducer times
  mkdir -p "$artifacts"
  times=$results/$target.time
  # bash's `time` gives wall and CPU (user + system) seconds of the fuzzer without extra tools;
  # the outer timeout only guards against a fuzzer that ignores -max_total_time.
  {
    TIMEFORMAT='%R %U %S'
    time timeout -k 10 $((secs + 120)) "$bin" "${FUZZ_FLAGS[@]}" -max_total_time="$secs" \
      -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1 || rc=$?
  } 2>"$times"
  read -r wall user sys <"$times"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f", u + s }')
  wall=$(awk -v w="$wall" 'BEGIN { printf "%.0f", w }')
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  reproducer=$(sed -n 's/^.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n1)
  if ((rc == 0)); then
    status=ok
  elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then
    status=timeout
    if [[ -f $reproducer ]]; then
      {
        TIMEFORMAT='%U %S'
        time timeout -k 10 600 "$bin" -timeout=0 -rss_limit_mb=2048 "$reproducer" \
          >"$results/$target.recheck.log" 2>&1 || true
      } 2>"$times.recheck"
      read -r user sys <"$times.recheck"
      if awk -v u="$user" -v s="$sys" 'BEGIN { exit !(u + s < 10) }'; then
        status=starved
        echo "fuzz: $target: the timeout was CPU starvation: $reproducer needs $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }') s of CPU" >&2
      fi
    fi
  elif grep -q 'ERROR: libFuzzer: out-of-memory\|ERROR: libFuzzer: malloc' "$log"; then
    status=oom
  elif grep -q 'ERROR: LeakSanitizer' "$log"; then
    status=leak
  elif [[ -n $reproducer ]]; then
    status=crash
  else
    status=failed
  fi
  echo "$wall $cpu ${execs:-0} $status ${reproducer:--}" >"$results/$target.result"
}

# fuzz_run_all SECONDS CORPUS_ROOT RESULT_DIR TARGET…: runs the targets FUZZ_JOBS at a time,
# each on CORPUS_ROOT/TARGET.
fuzz_run_all() {
  local secs=$1 corpus_root=$2 results=$3
  shift 3
  local target
  for target in "$@"; do
    while (($(jobs -rp | wc -l) >= FUZZ_JOBS)); do
      wait -n || true
    done
    mkdir -p "$corpus_root/$target"
    echo "fuzz: $target (${secs} s)"
    fuzz_run_one "$target" "$secs" "$corpus_root/$target" "$results" &
  done
  wait
}

# fuzz_table RESULT_DIR WITH_CPU TARGET…: prints the Markdown table; returns 1 when a target
# found something or failed, after naming the reproducers.
fuzz_table() {
  local results=$1 with_cpu=$2
  shift 2
  local target wall cpu execs status reproducer bad=0
  if ((with_cpu)); then
    printf '| %-20s | %7s | %11s | %12s | %-7s |\n' target seconds "CPU seconds" executions crash
    printf '|%s|%s|%s|%s|%s|\n' "----------------------" "--------:" "------------:" "-------------:" "---------"
  else
    printf '| %-20s | %7s | %12s | %-7s |\n' target seconds executions crash
    printf '|%s|%s|%s|%s|\n' "----------------------" "--------:" "-------------:" "---------"
  fi
  for target in "$@"; do
    if [[ -f $results/$target.result ]]; then
      read -r wall cpu execs status reproducer <"$results/$target.result"
    else
      wall=0 cpu=0 execs=0 status=failed reproducer=-
    fi
    local crash=no
    case $status in
      ok) ;;
      starved) crash="no (starved)" ;;
      *) crash="yes ($status)" ;;
    esac
    if ((with_cpu)); then
      printf '| %-20s | %7s | %11s | %12s | %-7s |\n' "$target" "$wall" "$cpu" "$execs" "$crash"
    else
      printf '| %-20s | %7s | %12s | %-7s |\n' "$target" "$wall" "$execs" "$crash"
    fi
  done
  for target in "$@"; do
    [[ -f $results/$target.result ]] || {
      bad=1
      continue
    }
    read -r wall cpu execs status reproducer <"$results/$target.result"
    if [[ $status != ok && $status != starved ]]; then
      bad=1
      echo "fuzz: $target: $status; reproducer: $reproducer" >&2
      echo "fuzz:   replay: $FUZZ_BIN_DIR/$target $reproducer   (log: the last lines below)" >&2
      tail -n 30 "$results/$target.log" | sed 's/^/    /' >&2
    fi
  done
  return "$bad"
}
