#!/bin/sh
# make.sh makes this folder's registry.db, a registry from before the
# registry's history was a log in the store, and answers/, what the pipe
# that wrote it answered: the pipe of commit b04ebfb (the last before the
# log) applies main.pipe.hcl twice on generated data, once on other data,
# and promotes version 1 back by hand. TestRegistryOfAnEarlierPipe
# checks that pipe imports it into the log losslessly.
#
# Run it from anywhere in the repository: sh cmd/pipe/testdata/prelog/make.sh
# (PIPE_OLD=path/to/pipe skips building the old pipe).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "${PIPE_OLD:-}" ]; then
	git -C "$here" archive b04ebfb | tar -x -C "$work" --one-top-level=src
	(cd "$work/src" && go build -o "$work/pipe" ./cmd/pipe)
	PIPE_OLD=$work/pipe
fi
# gen SEED writes 200 rows of a label and 8 features, the first three
# shifted for the positive class.
gen() {
	awk -v seed="$1" -v n=200 'BEGIN {
		srand(seed); printf "label"; for (j = 0; j < 8; j++) printf ",emb_%d", j; print ""
		for (i = 0; i < n; i++) {
			y = (rand() < 0.5); printf "%s", (y ? "private" : "public")
			for (j = 0; j < 8; j++) printf ",%.4f", (rand() - 0.5) + (y && j < 3 ? 0.6 : 0)
			print ""
		}
	}'
}
mkdir -p "$work/p/data"
cp "$here/main.pipe.hcl" "$work/p/"
cd "$work/p"
gen 7 >data/corpus.csv
"$PIPE_OLD" apply -no-color >/dev/null
"$PIPE_OLD" apply -no-color >/dev/null
gen 8 >data/corpus.csv
"$PIPE_OLD" apply -no-color >/dev/null
"$PIPE_OLD" models promote -note "by hand" team@1 champion >/dev/null
a=$here/answers
rm -rf "$a" && mkdir -p "$a"
"$PIPE_OLD" runs -json -limit=0 >"$a/runs.json"
"$PIPE_OLD" models show -json team >"$a/models-show.json"
"$PIPE_OLD" models history -json team >"$a/models-history.json"
"$PIPE_OLD" lineage -format json team@champion >"$a/lineage-champion.json"
"$PIPE_OLD" lineage -format json team@2 >"$a/lineage-2.json"
for i in 1 2 3; do "$PIPE_OLD" runs show -json "$i" >"$a/runs-show-$i.json"; done
cp .pipe/registry.db "$here/registry.db"
