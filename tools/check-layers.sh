#!/usr/bin/env bash
# Fails on an include or a namespace reference in src/ or probes/ that points up or sideways in
# the layer order. The order is read from the `layers` table of src/meson.build, which the build
# also uses (an upward include does not compile there either); this names every offender at once.
# Usage: tools/check-layers.sh [source root]   (default: the repository this script is in)
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}

# "name dep dep ..." per layer, from lines like:  ['xfr', ['zone', 'zonefile', 'store']],
table=$(sed -n "/^layers = \[/,/^\]/p" "$root/src/meson.build" | grep "^  \['" | tr -d "[]',")
if [[ -z $table ]]; then
  echo "check-layers: no layers table in $root/src/meson.build" >&2
  exit 2
fi

declare -A deps visible
while read -r name rest; do deps[$name]=$rest; done <<<"$table"
layers=$(awk '{print $1}' <<<"$table")

# visible[L] = L plus every layer below it (the table lists lower layers first).
for l in $layers; do
  v=" $l "
  for d in ${deps[$l]}; do
    [[ -n ${visible[$d]+x} ]] || { echo "check-layers: $l lists $d before it is defined" >&2; exit 2; }
    for x in ${visible[$d]}; do [[ $v == *" $x "* ]] || v+="$x "; done
  done
  visible[$l]=$v
done

bad=0
for l in $layers; do
  dir=$root/src/$l
  [[ $l == probes ]] && dir=$root/probes
  [[ -d $dir ]] || continue
  while IFS= read -r -d '' f; do
    rel=${f#"$root"/}
    # #include "layer/..." of a project layer
    while IFS=: read -r line target; do
      [[ -n ${deps[$target]+x} ]] || continue
      if [[ ${visible[$l]} != *" $target "* ]]; then
        echo "$rel:$line: $l includes $target/ (may use:${visible[$l]})"
        bad=1
      fi
    done < <(grep -no '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]*/' "$f" |
             sed -E 's/^([0-9]+):.*"([a-z_]+)\/$/\1:\2/')
    # fodns::layer:: or a bare layer:: outside comments and strings
    while IFS=: read -r line target; do
      [[ -n ${deps[$target]+x} ]] || continue
      if [[ ${visible[$l]} != *" $target "* ]]; then
        echo "$rel:$line: $l names namespace $target:: (may use:${visible[$l]})"
        bad=1
      fi
    done < <(sed -E 's://.*$::; s/"([^"\\]|\\.)*"/""/g' "$f" | grep -no '\b[a-z_]*::' |
             sed -E 's/^([0-9]+):([a-z_]+)::$/\1:\2/')
  done < <(find "$dir" \( -name '*.h' -o -name '*.cc' \) -print0 | sort -z)
done

if ((bad)); then
  echo "check-layers: the layer order is in src/meson.build and README.md (Where things live)" >&2
  exit 1
fi
echo "check-layers: no include or namespace points up or sideways"
