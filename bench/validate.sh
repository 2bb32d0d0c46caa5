#!/usr/bin/env bash
# Speed of the native validator (issue 13) on four corpus invoices: the
# go test benchmarks of Validate (XSD + Schematron + report, what users run)
# and of Schematron alone (-benchmem, COUNT runs, the median shown), and the
# CPU time per document measured by bench/validatecpu (getrusage user+system
# over many calls, GC included). Saxon's figures are the official artefacts
# run warm in one JVM, for comparison. The load average is printed at start
# and end: on a shared machine, read the figures against it.
#
#   bench/validate.sh [COUNT]        default 5
#
# Needs Go and ../shared/corpus (present only on the project's machines).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-5}
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.26.11}
corpus=../shared/corpus
if [[ ! -d $corpus/ciusro ]]; then
	echo "bench/validate.sh: $corpus is absent (it exists only on the project's machines): nothing measured" >&2
	exit 0
fi
load0=$(cut -d' ' -f1-3 /proc/loadavg)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go test -run '^$' -bench '^Benchmark(Validate|Schematron)(1Line|5Lines|Typical|999Lines)$' -benchmem \
	-count "$COUNT" ./internal/validate/ >"$work/bench.txt"
go build -o "$work/validatecpu" ./bench/validatecpu
files=(oca-invoice_discount.xml anaf-ubl_b2g_example0.xml anaf-eInvoice_ex-v101.xml derived-large-999-lines.xml)
paths=()
for f in "${files[@]}"; do paths+=("$corpus/ciusro/$f"); done
"$work/validatecpu" "${paths[@]}" >"$work/cpu.txt"
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# median of the COUNT runs of a benchmark for one unit (ns/op, B/op,
# allocs/op): the value before the unit's label, wherever its column
median() { # benchmark name, unit
	grep -E "^Benchmark$1-[0-9]+ " "$work/bench.txt" |
		awk -v u="$2" '{for (i = 2; i <= NF; i++) if ($i == u) print $(i-1)}' | sort -n |
		awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print a[int((NR+1)/2)]}'
}
printf '%-30s %5s %6s | %-22s | %-22s | %8s %8s | %s\n' file lines KB "Validate ms/op B/op allocs" "Schematron ms/op allocs" "CPU ms/doc" "Saxon ms" "goal ms"
names=(1Line 5Lines Typical 999Lines)
saxon=(5.9 5.9 18-20 111)
goal=(0.3 0.3 0.6 5)
for i in "${!files[@]}"; do
	p=${paths[$i]}
	lines=$(grep -cE '<(cac:)?(InvoiceLine|CreditNoteLine)[ >]' "$p" || true)
	kb=$(( $(stat -c %s "$p") / 1024 ))
	vns=$(median "Validate${names[$i]}" ns/op)
	vb=$(median "Validate${names[$i]}" B/op)
	va=$(median "Validate${names[$i]}" allocs/op)
	sns=$(median "Schematron${names[$i]}" ns/op)
	sa=$(median "Schematron${names[$i]}" allocs/op)
	cpu=$(awk -F'\t' -v f="$p" '$1 == f {print $4}' "$work/cpu.txt")
	printf '%-30s %5s %6s | %7.3f %8s %5s | %7.3f %14s | %8s %8s | %s\n' "${files[$i]}" "$lines" "$kb" \
		"$(awk -v n="$vns" 'BEGIN{print n/1e6}')" "$vb" "$va" "$(awk -v n="$sns" 'BEGIN{print n/1e6}')" "$sa" \
		"$cpu" "${saxon[$i]}" "${goal[$i]}"
done
echo "load average: start $load0, end $load1 ($(nproc) CPUs); $(date -u +%Y-%m-%dT%H:%MZ); go test -count $COUNT"
