#!/bin/bash
# Integration: containers from OCI images. An image layout made here (two
# gzip layers, the second with a whiteout and an opaque directory; a config
# with Entrypoint, Cmd, Env, WorkingDir, User; a tagged manifest) and a tar
# archive of it: a container defined from each runs what the image says, in
# its root as the layers make it, with the definition's environment over the
# image's. A blob that is not what its digest says is refused at start; a
# layer that writes through a symlink writes inside the root (the symlink
# taken away), nothing outside. The unpacked root is reused while the image
# stays the same.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=daemon-ctr-image
# shellcheck source=lib/daemon.bash
. "$(dirname "$0")/lib/daemon.bash"

need_tools
need_containers
command -v sha256sum >/dev/null || skip "sha256sum is missing (coreutils)"
L=$work/layout
mkdir -p "$L/blobs/sha256"
echo '{"imageLayoutVersion": "1.0.0"}' >"$L/oci-layout"

# blob FILE: moved into the layout under its digest; prints "sha256:HEX SIZE"
blob() {
	local d s
	d=$(sha256sum "$1" | cut -d' ' -f1)
	s=$(stat -c %s "$1")
	mv "$1" "$L/blobs/sha256/$d"
	echo "sha256:$d $s"
}
# layer DIR: a gzip'd tar of DIR's contents as a blob
layer() { tar -C "$1" -czf "$work/layer.tgz" . && blob "$work/layer.tgz"; }

busybox_rootfs "$work/l1"
echo base >"$work/l1/etc/motd"
mkdir -p "$work/l1/data" "$work/l1/opq"
echo keep >"$work/l1/data/keep"
echo gone >"$work/l1/data/gone"
echo a >"$work/l1/opq/a"
mkdir -p "$work/l2/etc" "$work/l2/data" "$work/l2/opq"
echo top >"$work/l2/etc/motd"
: >"$work/l2/data/.wh.gone"
: >"$work/l2/opq/.wh..wh..opq"
echo b >"$work/l2/opq/b"
read -r d1 s1 < <(layer "$work/l1")
read -r d2 s2 < <(layer "$work/l2")
# shellcheck disable=SC2016
printf '{"architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/bin", "GREETING=from-image", "KEPT=image"], "Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo started in $(pwd); while :; do sleep 1; done"], "WorkingDir": "/data", "User": "root"}, "rootfs": {"type": "layers", "diff_ids": []}}\n' >"$work/config.json"
read -r dc sc < <(blob "$work/config.json")
printf '{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "%s", "size": %s}, "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "%s", "size": %s}, {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "%s", "size": %s}]}\n' \
	"$dc" "$sc" "$d1" "$s1" "$d2" "$s2" >"$work/manifest.json"
read -r dm sm < <(blob "$work/manifest.json")
printf '{"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "%s", "size": %s, "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}\n' \
	"$dm" "$sm" >"$L/index.json"
tar -C "$L" -cf "$work/image.tar" .

daemon_start
printf '{"name": "fromdir", "type": "container", "image": "%s", "tag": "v1", "terminal": false, "env": ["GREETING=from-definition"]}\n' \
	"$L" >"$work/fromdir.json"
printf '{"name": "fromtar", "type": "container", "image": "%s", "terminal": false}\n' \
	"$work/image.tar" >"$work/fromtar.json"
vm define "$work/fromdir.json" >/dev/null || fail "define fromdir"
vm define "$work/fromtar.json" >/dev/null || fail "define fromtar"
printf '{"name": "notag", "type": "container", "image": "%s", "tag": "v2"}\n' "$L" >"$work/notag.json"
vm define "$work/notag.json" >/dev/null || fail "define notag"
vm start notag >/dev/null 2>&1 && fail "a tag the image has not started"
vm info notag | grep -q "no manifest tagged 'v2'" || fail "notag's failure: $(vm info notag)"

for c in fromdir fromtar; do
	vm start "$c" >/dev/null || fail "start $c: $(vm info "$c" | tail -n 2)"
	for _ in $(seq 50); do vm logs "$c" | grep -q started && break; sleep 0.1; done
	vm logs "$c" | grep -q '^started in /data$' || fail "$c does not run the image's command in its WorkingDir: $(vm logs "$c")"
	out=$(vm exec "$c" -- sh -c 'cat /etc/motd; ls /data; ls /opq; echo "$GREETING $KEPT"')
	[ "$out" = "top
keep
b
$([ $c = fromdir ] && echo from-definition || echo from-image) image" ] ||
		fail "$c's root or environment is not the image's: '$out'"
done

# the same image: the root is not unpacked again
root=$work/state/containers/$(vm info fromdir --json | sed -n 's/^  "uuid": "\(.*\)",/\1/p')/rootfs
touch "$root/marker"
vm destroy fromdir >/dev/null && vm start fromdir >/dev/null || fail "restart fromdir"
[ -e "$root/marker" ] || fail "the root was unpacked again for the same image"

# a blob that is not what its digest says
vm destroy fromdir >/dev/null
echo tampered >>"$L/blobs/sha256/${d2#sha256:}"
rm -rf "$root"
vm start fromdir >/dev/null 2>&1 && fail "a tampered image started"
vm info fromdir | grep -q "holds something else" || fail "the tampering's message: $(vm info fromdir)"

# a layer that whites out and writes through a symlink out of the root
mkdir -p "$work/outside" "$work/evil-a" "$work/evil-b/escape"
echo victim >"$work/outside/victim"
ln -s "$work/outside" "$work/evil-a/escape"
: >"$work/evil-b/escape/.wh.victim"
echo pwned >"$work/evil-b/escape/pwned"
tar -czf "$work/evil.tgz" -C "$work/evil-a" escape -C "$work/evil-b" escape/.wh.victim escape/pwned
L2=$work/evil-layout
mkdir -p "$L2/blobs/sha256"
cp "$L/oci-layout" "$L2/"
L_SAVE=$L
L=$L2
read -r de se < <(blob "$work/evil.tgz")
printf '{"config": {"Cmd": ["sh"]}}\n' >"$work/c2.json"
read -r dc2 sc2 < <(blob "$work/c2.json")
printf '{"schemaVersion": 2, "config": {"digest": "%s", "size": %s}, "layers": [{"digest": "%s", "size": %s}]}\n' \
	"$dc2" "$sc2" "$de" "$se" >"$work/m2.json"
read -r dm2 sm2 < <(blob "$work/m2.json")
printf '{"schemaVersion": 2, "manifests": [{"digest": "%s", "size": %s}]}\n' "$dm2" "$sm2" >"$L2/index.json"
L=$L_SAVE
printf '{"name": "evil", "type": "container", "image": "%s"}\n' "$L2" >"$work/evil.json"
vm define "$work/evil.json" >/dev/null || fail "define evil"
vm start evil >/dev/null 2>&1	# it has no sh: it starts or not, its root is what counts
[ -e "$work/outside/pwned" ] && fail "the layer wrote outside the root"
[ -f "$work/outside/victim" ] || fail "the layer's whiteout removed a file outside the root"
eroot=$work/state/containers/$(vm info evil --json | sed -n 's/^  "uuid": "\(.*\)",/\1/p')/rootfs
# the symlink on the way was taken away, the file landed inside
[ -f "$eroot/escape/pwned" ] && [ ! -L "$eroot/escape" ] || fail "evil's root: $(ls -la "$eroot" "$eroot/escape" 2>&1)"
echo "$NAME: ok: images from a layout and an archive (layers, whiteouts, config, tag); tampering and escapes refused"
