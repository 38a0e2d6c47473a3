#!/bin/sh
# A fetch program with Morumotto's source-script contract, for tests.
# --connect-infos=MODE[:ARG] chooses what it does:
#   ok:FILE       copy FILE to WORKSPACE/N.S.L.C (codes of the first postfile line), exit 0
#   badname:FILE  copy FILE to WORKSPACE/not-a-stream-name, exit 0
#   html          write an HTML page to WORKSPACE/N.S.L.C, exit 0
#   exit:N        exit with code N
#   sleep:S       sleep S seconds, then exit 0
# --is_online=X exits 0 unless X is "offline".
postfile=""; workspace=""; infos=""
for a in "$@"; do
  case "$a" in
    --postfile=*) postfile="${a#--postfile=}" ;;
    --workspace=*) workspace="${a#--workspace=}" ;;
    --connect-infos=*) infos="${a#--connect-infos=}" ;;
    --is_online=*) [ "${a#--is_online=}" = offline ] && exit 3; exit 0 ;;
  esac
done
echo "fake_source: $infos"
mode="${infos%%:*}"; arg="${infos#*:}"
line=$(grep -v '=' "$postfile" | head -n 1)
set -- $line
loc="$3"; [ "$loc" = "--" ] && loc=""
name="$1.$2.$loc.$4"
case "$mode" in
  ok) cp "$arg" "$workspace/$name" || exit 5 ;;
  badname) cp "$arg" "$workspace/not-a-stream-name" ;;
  html) echo "<html><body>error</body></html>" > "$workspace/$name" ;;
  exit) echo "failing with $arg" >&2; exit "$arg" ;;
  sleep) sleep "$arg" ;;
esac
exit 0
