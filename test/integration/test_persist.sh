#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Durable state and the file-system side of the control socket:
# - config.save writes only plain names inside --state-dir: absolute paths,
#   '..' and '/' are refused; a symlink planted there is never followed (its
#   target keeps its content and mode); config.save is a mutation (admin);
# - the --config file keeps its mode, owner and symlink across rewrites and
#   keeps its last good copy as <file>.prev; a change is acknowledged once
#   its line is in <file>.journal beside the link's target; config.save and
#   a clean stop rewrite the file from the running state;
# - a change whose write fails (a full file system) fails with -32003 and
#   changes nothing: running state, file; it succeeds once there is room;
# - SIGKILL during a loop of acknowledged changes, then a restart: the
#   config holds every acknowledged change (plus at most the one in flight);
#   a 15,000-MAC apply before it makes the loop's first change compact the
#   journal in the background while the loop goes on;
# - a truncated config file is refused with a clear message: the daemon
#   starts from the last good copy (and says so) or, without one, not at all;
# - the journal: a torn last line is ignored and said so; a damaged line
#   before the last refuses the start and leaves the files alone.
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init ps

CONF=$IT_TMP/config.json
REAL=$IT_TMP/real/config.json
mkdir -p "$IT_TMP/real"
cat >"$REAL" <<'JSON'
{ "switches": [ { "name": "sw0", "mac_aging": 300, "max_macs": 100 } ], "ports": [] }
JSON
cp "$REAL" "$IT_TMP/base.json"
ln -s "$REAL" "$CONF"
chmod 0640 "$REAL"
chown 65534:65534 "$REAL"
STATE=$IT_TMP/state-d
names() { "$PY" -c 'import json,sys; print(" ".join(sorted(s["name"] for s in json.load(open(sys.argv[1]))["switches"])))' "$1"; }

evs_start d "$CONF"

# --- config.save: no client-chosen path outside the state directory --------
echo "precious" >"$IT_TMP/victim"
chmod 0600 "$IT_TMP/victim"
for p in "$IT_TMP/victim" "../victim" "a/b.json" ".hidden" ".."; do
	expect_error "config.save path=$p is refused" -32602 /params/path \
		"$(rpc config.save "{\"path\":\"$p\"}")"
done
assert_eq "the victim file is untouched" "precious" "$(cat "$IT_TMP/victim")"
r=$(rpc_ok config.save '{"path":"snap.json"}')
assert_eq "config.save answers the file it wrote" "$STATE/snap.json" "$(jget "$r" path)"
assert_eq "the state dir is created 0700" 700 "$(stat -c %a "$STATE")"
assert_eq "the saved file is 0600" 600 "$(stat -c %a "$STATE/snap.json")"
assert_eq "the saved file is the running document" "$(jcanon "$(rpc_ok config.get)")" \
	"$(jcanon "@$STATE/snap.json")"
ln -s "$IT_TMP/victim" "$STATE/evil.json"
expect_error "config.save through a planted symlink is refused" -32003 /params/path \
	"$(rpc config.save '{"path":"evil.json"}')"
assert_eq "the symlink's target is untouched" "precious" "$(cat "$IT_TMP/victim")"
assert_eq "the symlink's target keeps its mode" 600 "$(stat -c %a "$IT_TMP/victim")"
assert_ok "the symlink is still a symlink" test -L "$STATE/evil.json"
assert_eq "config.save is not listed read-only" false \
	"$("$PY" -c 'import json,sys; print(str([m["read_only"] for m in json.loads(sys.argv[1]) if m["name"]=="config.save"][0]).lower())' "$(rpc_ok list)")"

# --- the --config file: mode, owner, symlink, last good copy ----------------
rpc_ok switch.add '{"name":"swa"}' >/dev/null
assert_ok "--config is still a symlink" test -L "$CONF"
assert_match "the change reached the journal beside the link's target" '"name":"swa"' \
	"$(cat "$REAL.journal")"
assert_eq "the file itself is not rewritten per change" "sw0" "$(names "$REAL")"
rpc_ok config.save >/dev/null
assert_eq "config.save rewrites the file from the running state" "sw0 swa" "$(names "$REAL")"
assert_eq "the target keeps its mode" 640 "$(stat -c %a "$REAL")"
assert_eq "the target keeps its owner" 65534:65534 "$(stat -c %u:%g "$REAL")"
assert_eq "the last good copy is kept beside it" "sw0" "$(names "$REAL.prev")"

# --- a failed write fails the request and changes nothing -----------------
SMALL=$IT_TMP/small
mkdir -p "$SMALL"
if mount -t tmpfs -o size=256k tmpfs "$SMALL" 2>/dev/null; then
	IT_MOUNTS+=("$SMALL")
	cp "$IT_TMP/base.json" "$SMALL/config.json"
	evs_start f "$SMALL/config.json"
	rpc_ok switch.add '{"name":"ok1"}' >/dev/null
	before=$(jcanon "$(rpc_ok config.get)")
	file_before=$(cat "$SMALL/config.json")
	dd if=/dev/zero of="$SMALL/fill" bs=4k 2>/dev/null
	# The journal's last page may still have room: add until an append
	# needs a page the full file system cannot give.
	for i in $(seq 1 100); do
		before=$(jcanon "$(rpc_ok config.get)")
		r=$(rpc switch.add "{\"name\":\"ns$i\"}")
		[ -n "$(jget "$r" error.code)" ] && break
	done
	expect_error "a change that cannot be written fails" -32003 "" "$r"
	assert_match "and says why" "not persisted: .*No space left on device" \
		"$(jget "$r" error.message)"
	assert_eq "the running config is unchanged" "$before" "$(jcanon "$(rpc_ok config.get)")"
	assert_fails "switch.list does not show it" "${RPC[@]}" has "$(rpc_ok switch.list)" name=ns$i
	assert_eq "the file is unchanged" "$file_before" "$(cat "$SMALL/config.json")"
	rm -f "$SMALL/fill"
	rpc_ok switch.add '{"name":"nospace"}' >/dev/null
	assert_match "with room again the change is journalled" '"name":"nospace"' \
		"$(cat "$SMALL/config.json.journal")"
	want=$(jcanon "$(rpc_ok config.get)")
	evs_stop f
	assert_eq "a clean stop leaves the whole state in the file" "$want" \
		"$(jcanon "@$SMALL/config.json")"
	assert_fails "and no journal" test -e "$SMALL/config.json.journal"
else
	it_log "cannot mount a tmpfs here: write-failure check skipped"
fi

# --- SIGKILL during a write loop -------------------------------------------
# 15,000 static MACs first: their journal line outgrows the file, so the
# loop's first change carries a snapshot and the journal is compacted in
# the background (serialised on its own thread) while the loop goes on.
"$PY" - "$EVS_SOCK_d" "$IT_DIR" <<'PYEOF' || it_fail "the 15,000-MAC apply failed"
import sys
sys.path.insert(0, sys.argv[2])
from evsrpc import Conn
c = Conn(sys.argv[1], timeout=120)
doc = c.call("config.get")["result"]
doc["switches"].append({"name": "swm", "max_macs": 20000})
doc.setdefault("ports", []).append({"name": "pm", "devargs": "net_null0", "switch": "swm"})
doc["macs"] = [{"switch": "swm", "mac": "0a:00:00:00:%02x:%02x" % (i >> 8, i & 255),
                "port": "pm"} for i in range(15000)]
r = c.call("config.apply", {"config": doc})
sys.exit(0 if "result" in r else 1)
PYEOF
ACKED=$IT_TMP/acked.txt
: >"$ACKED"
it_bg wl "$PY" "$IT_DIR/writeloop.py" "$EVS_SOCK_d" "$ACKED" 200
wait_until 20 sh -c "test \$(wc -l <$ACKED) -ge 15" || it_fail "no change acknowledged in 20 s"
wait_until 20 grep -q '"swm"' "$REAL" || it_fail "the journal was not compacted in 20 s"
kill -KILL "$EVS_PID_d"
wait "$EVS_PID_d" 2>/dev/null
EVS_STOPPED_d=1
it_wait "$wl" || true
n_acked=$(wc -l <"$ACKED")
it_log "$n_acked changes acknowledged before SIGKILL"
evs_start r "$CONF"
got=$(rpc_ok switch.list | "$PY" -c 'import json,sys; print("\n".join(s["name"] for s in json.load(sys.stdin)))')
missing=$(comm -23 <(sort "$ACKED") <(echo "$got" | sort))
assert_eq "after SIGKILL and restart every acknowledged change is there" "" "$missing"
extra=$(comm -13 <( (sort "$ACKED"; echo sw0; echo swa; echo swm; echo "sw$((n_acked + 1))") | sort) \
	<(echo "$got" | sort))
assert_eq "nothing but the change in flight is added" "" "$extra"
# Large documents: compared here, not passed as arguments; then the MACs go
# (the sections below pass whole documents as arguments).
r=$("$PY" - "$EVS_SOCK_r" "$IT_DIR" "$REAL" <<'PYEOF'
import json, sys
sys.path.insert(0, sys.argv[2])
from evsrpc import Conn
c = Conn(sys.argv[1], timeout=120)
doc = c.call("config.get")["result"]
print(sum(m["switch"] == "swm" for m in doc.get("macs", [])),
      doc == json.load(open(sys.argv[3])))
for k in ("macs", "ports"):
    doc.pop(k, None)
doc["switches"] = [s for s in doc["switches"] if s["name"] != "swm"]
print("result" in c.call("config.apply", {"config": doc}))
PYEOF
)
assert_eq "the MACs applied before the compaction are there; the file is what config.get shows" \
	"15000 True True" "$(echo $r)"
evs_stop r

# --- the journal: a torn last line, a damaged middle line ------------------
evs_start j "$CONF"
for n in ja jb jc; do rpc_ok switch.add "{\"name\":\"$n\"}" >/dev/null; done
# "wait": answered (not blocked on) once durable and run by every PMD.
r=$(rpc_ok switch.add '{"name":"jw","wait":true}')
assert_match "a change with wait is answered with its generation" '"generation"' "$r"
r=$(rpc_ok config.apply "{\"config\":$(rpc_ok config.get),\"wait\":true}")
assert_match "a wait with nothing changed is answered too" '"changed": *0' "$r"
rpc_ok switch.del '{"name":"jw"}' >/dev/null
want=$(jcanon "$(rpc_ok config.get)")
kill -KILL "$EVS_PID_j"
wait "$EVS_PID_j" 2>/dev/null
EVS_STOPPED_j=1
assert_eq "five lines after the header" 6 "$(wc -l <"$REAL.journal")"
cp "$REAL" "$IT_TMP/doc.keep"
cp "$REAL.journal" "$IT_TMP/journal.keep"
printf '{"gen":99,"sum":"0000' >>"$REAL.journal"
evs_start k "$CONF"
assert_match "a torn last line is ignored and said so" "journal's last line is incomplete" \
	"$(cat "$EVS_LOG_k")"
assert_eq "every acknowledged change is back" "$want" "$(jcanon "$(rpc_ok config.get)")"
evs_stop k
cp "$IT_TMP/doc.keep" "$REAL"
sed '3s/"jb"/"jx"/' "$IT_TMP/journal.keep" >"$REAL.journal"
log=$IT_TMP/middle.log
timeout 60 "$EDGEVS" -l 0,1 "${IT_EAL_MEM[@]}" --file-prefix "$IT_ID-m" -- --config "$CONF" \
	--socket "$IT_TMP/m.sock" --state-dir "$STATE" >"$log" 2>&1 </dev/null
assert_ne "a damaged middle line refuses the start" 0 "$?"
assert_match "and says where" "journal is damaged at line 3" "$(cat "$log")"
assert_eq "the journal is left as it was" "$(sed '3s/"jb"/"jx"/' "$IT_TMP/journal.keep")" \
	"$(cat "$REAL.journal")"
cp "$IT_TMP/journal.keep" "$REAL.journal"
evs_start r2 "$CONF"
assert_eq "the intact journal replays" "$want" "$(jcanon "$(rpc_ok config.get)")"
evs_stop r2

# --- a truncated config file -----------------------------------------------
good_prev=$(jcanon "@$REAL.prev")
truncate -s 40 "$REAL"
evs_start t "$CONF"
assert_match "the truncated file is refused with a clear message" \
	"config refused: .*config.json is damaged or truncated" "$(cat "$EVS_LOG_t")"
assert_match "the log says the last good copy is used" "starting from its last good copy" \
	"$(cat "$EVS_LOG_t")"
assert_eq "the daemon runs the last good copy" "$good_prev" "$(jcanon "$(rpc_ok config.get)")"
assert_ok "the damaged file is kept aside" test -s "$REAL.corrupt"
assert_eq "a good file is back in place" "$good_prev" "$(jcanon "@$REAL")"
evs_stop t

# Without a good copy the daemon refuses to start and says why.
rm -f "$REAL.prev"
truncate -s 40 "$REAL"
log=$IT_TMP/refused.log
timeout 60 "$EDGEVS" -l 0,1 "${IT_EAL_MEM[@]}" --file-prefix "$IT_ID-x" -- --config "$CONF" \
	--socket "$IT_TMP/x.sock" --state-dir "$STATE" >"$log" 2>&1 </dev/null
assert_ne "without a good copy the daemon does not start" 0 "$?"
assert_match "and says the file is truncated" "config refused: .*damaged or truncated" "$(cat "$log")"
assert_eq "the damaged file is left as it was" 40 "$(stat -c %s "$REAL")"

it_finish
