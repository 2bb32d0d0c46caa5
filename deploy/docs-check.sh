#!/usr/bin/env bash
# deploy/docs-check.sh: the commands of docs/operations.md that check the
# shipped configuration files, run as the document shows them (issue 18:
# "each command they show has been run"); .ci/run calls it. The table
# "Where each command of this document runs" at the end of
# docs/operations.md says which test or script runs every other command.
#
#   promtool   the doc's `promtool check rules` / `promtool test rules`
#              block, and `promtool check config` on its Prometheus
#              configuration block (rule_files pointed at a copy of
#              deploy/prometheus/alerts.yml, as the doc says to install it);
#              docs/scaling.md's PromQL parsed as a rule expression
#   nginx      `nginx -t` on deploy/nginx/efactura.conf as a conf.d/ file
#              of Debian's nginx, with a self-signed certificate made by
#              openssl where the file expects /etc/nginx/certs, and
#              gateway-1/gateway-2 resolvable (a private /etc/hosts in a
#              mount namespace, as compose's network would)
#   systemd    `systemd-analyze verify` of deploy/systemd/efactura.service
#              and of the doc's efactura-backup.service/.timer (in an
#              alternate root: no running systemd needed), and
#              `systemd-analyze security --offline=yes` of the unit:
#              exposure under 2.5
#
# A missing tool is a SKIPPED line with the reason, never a failure: nginx
# and promtool come from PATH, else from Debian's packages, downloaded and
# unpacked (apt-get download, dpkg -x; nothing is installed, no service
# starts) into $EFACTURA_DOCS_CHECK_CACHE (default
# /var/cache/efactura-docs-check). A check that runs and fails prints
# FAIL and the script exits 1. Under 10 s once the cache is warm (about
# 20 s with the downloads).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DOC=docs/operations.md
CACHE=${EFACTURA_DOCS_CHECK_CACHE:-/var/cache/efactura-docs-check}
mkdir -p "$CACHE" 2>/dev/null || CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/efactura-docs-check
mkdir -p "$CACHE"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
T0=$(date +%s)
summary=()
failed=0

ran() { summary+=("RAN      $*"); }
skipped() { summary+=("SKIPPED: $*"); echo "SKIPPED: $*"; }
fail() { summary+=("FAIL:    $*"); echo "FAIL: $*"; failed=1; }
show() { printf '+ %s\n' "$*"; }

# block MARKER: the fenced block that follows "<!-- MARKER -->" in the
# doc, its two-space list indent removed.
block() {
	awk -v m="<!-- $1 -->" '
		index($0, m) == 1 { found = 1; next }
		found == 1 && /^ *```/ { found = 2; next }
		found == 2 && /^ *```/ { exit }
		found == 2 { sub(/^  /, ""); print }
	' "$DOC"
}

# tool NAME PACKAGE PATH: NAME from PATH, else PATH inside Debian's
# PACKAGE unpacked in the cache; prints the executable, or returns 1 with
# the reason on stderr.
tool() {
	local name=$1 pkg=$2 inpkg=$3
	if command -v "$name" >/dev/null 2>&1; then
		command -v "$name"
		return 0
	fi
	local dir="$CACHE/$pkg"
	if [ ! -x "$dir/root/$inpkg" ]; then
		command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1 ||
			{ echo "$name not on PATH and no apt-get/dpkg to fetch Debian's $pkg" >&2; return 1; }
		rm -rf "$dir" && mkdir -p "$dir/debs" "$dir/root"
		if ! (cd "$dir/debs" && timeout 120 apt-get download -q -o APT::Sandbox::User=root "$pkg") >"$dir/download.log" 2>&1; then
			echo "$name not on PATH and Debian's $pkg cannot be downloaded: $(tail -n 1 "$dir/download.log")" >&2
			return 1
		fi
		dpkg -x "$dir"/debs/*.deb "$dir/root" || { echo "dpkg -x of $pkg failed" >&2; return 1; }
	fi
	[ -x "$dir/root/$inpkg" ] || { echo "Debian's $pkg has no $inpkg" >&2; return 1; }
	echo "$dir/root/$inpkg"
}

# ---- promtool (docs/operations.md §6)
if promtool=$(tool promtool prometheus usr/bin/promtool 2>"$WORK/why"); then
	echo "docs-check: $("$promtool" --version 2>&1 | head -n 1)"
	mkdir -p "$WORK/bin" && ln -sf "$promtool" "$WORK/bin/promtool"
	script=$(block "docs-check: promtool")
	[ -n "$script" ] || fail "$DOC has no <!-- docs-check: promtool --> block"
	printf '%s\n' "$script" | sed 's/^/+ /'
	if PATH="$WORK/bin:$PATH" bash -euo pipefail -c "$script"; then
		ran "the doc's promtool check rules / test rules block"
	else
		fail "the doc's promtool block"
	fi
	mkdir -p "$WORK/prometheus"
	cp deploy/prometheus/alerts.yml "$WORK/prometheus/efactura-alerts.yml"
	block "docs-check: prometheus-config" |
		sed "s|/etc/prometheus/efactura-alerts.yml|$WORK/prometheus/efactura-alerts.yml|" >"$WORK/prometheus/prometheus.yml"
	grep -q scrape_configs "$WORK/prometheus/prometheus.yml" || fail "$DOC has no <!-- docs-check: prometheus-config --> block"
	show promtool check config prometheus.yml
	if "$promtool" check config "$WORK/prometheus/prometheus.yml"; then
		ran "promtool check config on the doc's Prometheus configuration"
	else
		fail "promtool check config on the doc's Prometheus configuration"
	fi
	# docs/scaling.md's PromQL, parsed as a recording rule's expression.
	expr=$(grep -o '`rate(efactura_[^`]*`' docs/scaling.md | head -n 1 | tr -d '`')
	printf 'groups:\n  - name: docs\n    rules:\n      - record: docs:scaling\n        expr: %s\n' "$expr" >"$WORK/prometheus/scaling.yml"
	show promtool check rules "(docs/scaling.md: $expr)"
	if [ -n "$expr" ] && "$promtool" check rules "$WORK/prometheus/scaling.yml"; then
		ran "promtool parses docs/scaling.md's $expr"
	else
		fail "docs/scaling.md's PromQL ($expr) does not parse"
	fi
else
	skipped "promtool: $(cat "$WORK/why")"
fi

# ---- nginx -t (docs/operations.md §1; deploy/smoke.sh serves it for real)
if nginx=$(tool nginx nginx usr/sbin/nginx 2>"$WORK/why"); then
	if ! command -v openssl >/dev/null 2>&1; then
		skipped "nginx -t: no openssl to make the certificate"
	else
		echo "docs-check: $("$nginx" -v 2>&1)"
		N=$WORK/nginx
		mkdir -p "$N/certs" "$N/conf.d" "$N/tmp"
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=efactura.example.ro \
			-keyout "$N/certs/privkey.pem" -out "$N/certs/fullchain.pem" 2>/dev/null
		# The file as shipped; only the certificates' directory moves.
		sed "s|/etc/nginx/certs/|$N/certs/|g" deploy/nginx/efactura.conf >"$N/conf.d/efactura.conf"
		# Debian's nginx.conf in short: an http block including conf.d/;
		# pid, logs and temp paths inside the work directory.
		cat >"$N/nginx.conf" <<-EOF
			pid $N/nginx.pid;
			error_log stderr;
			events {}
			http {
			    access_log off;
			    client_body_temp_path $N/tmp/body;
			    proxy_temp_path $N/tmp/proxy;
			    fastcgi_temp_path $N/tmp/fastcgi;
			    uwsgi_temp_path $N/tmp/uwsgi;
			    scgi_temp_path $N/tmp/scgi;
			    include $N/conf.d/*.conf;
			}
		EOF
		printf '127.0.0.1 localhost\n127.0.0.1 gateway-1 gateway-2\n' >"$N/hosts"
		show nginx -t -c nginx.conf "(conf.d/efactura.conf = deploy/nginx/efactura.conf)"
		how="gateway-1/-2 in a private /etc/hosts"
		if unshare -m true 2>/dev/null; then
			unshare -m sh -c 'mount --bind "$1" /etc/hosts && exec "$2" -t -e stderr -p "$3" -c "$3/nginx.conf"' sh \
				"$N/hosts" "$nginx" "$N" >"$N/out" 2>&1
		else
			# No mount namespace (not root): the upstream names become 127.0.0.1.
			how="gateway-1/-2 replaced by 127.0.0.1 (no mount namespace)"
			sed -i 's/server gateway-[12]:8080/server 127.0.0.1:8080/' "$N/conf.d/efactura.conf"
			"$nginx" -t -e stderr -p "$N" -c "$N/nginx.conf" >"$N/out" 2>&1
		fi
		rc=$?
		cat "$N/out"
		if [ $rc -eq 0 ] && ! grep -q '\[warn\]\|\[emerg\]' "$N/out"; then
			ran "nginx -t on deploy/nginx/efactura.conf ($("$nginx" -v 2>&1 | sed 's/.*: //'), self-signed certificate, $how)"
		else
			fail "nginx -t on deploy/nginx/efactura.conf"
		fi
	fi
else
	skipped "nginx -t: $(cat "$WORK/why")"
fi

# ---- systemd units (docs/operations.md §1 and §5)
if ! command -v systemd-analyze >/dev/null 2>&1; then
	skipped "systemd-analyze verify/security: systemd-analyze not installed"
else
	echo "docs-check: $(systemd-analyze --version | head -n 1)"
	R=$WORK/sysroot
	mkdir -p "$R/usr/lib/systemd" "$R/etc/systemd/system" "$R/usr/local/bin" "$R/bin"
	units=""
	for d in /usr/lib/systemd/system /lib/systemd/system; do
		[ -d "$d" ] && { units=$d; break; }
	done
	if [ -z "$units" ]; then
		skipped "systemd-analyze verify: no systemd unit directory to verify against"
	else
		cp -r "$units" "$R/usr/lib/systemd/"
		# ExecStart= must name executables inside the root.
		printf '#!/bin/sh\n' >"$R/usr/local/bin/efactura" && chmod 0755 "$R/usr/local/bin/efactura"
		cp /bin/sh "$R/bin/sh"
		cp deploy/systemd/efactura.service "$R/etc/systemd/system/"
		# The doc's backup service and timer, split at their "# /etc/systemd/system/NAME" lines.
		block "runbook: backup-timer" | awk -v dir="$R" '
			/^# \/etc\/systemd\/system\// { f = dir $2; next }
			f { print > f }'
		show systemd-analyze verify --root=ROOT efactura.service efactura-backup.service efactura-backup.timer
		(cd "$R" && systemd-analyze verify --root="$R" efactura.service efactura-backup.service efactura-backup.timer) >"$WORK/verify.out" 2>&1
		rc=$?
		cat "$WORK/verify.out"
		if [ $rc -eq 0 ] && [ ! -s "$WORK/verify.out" ] && [ -s "$R/etc/systemd/system/efactura-backup.timer" ]; then
			ran "systemd-analyze verify of efactura.service and the doc's efactura-backup.service/.timer (no warning)"
		else
			fail "systemd-analyze verify (any message is a failure)"
		fi
	fi
	show systemd-analyze security --offline=yes deploy/systemd/efactura.service
	out=$(systemd-analyze security --offline=yes deploy/systemd/efactura.service 2>&1)
	score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for efactura.service: \([0-9.]*\).*/\1/p')
	if [ -z "$score" ]; then
		skipped "systemd-analyze security --offline: no score here: $(printf '%s\n' "$out" | tail -n 1)"
	elif awk -v s="$score" 'BEGIN { exit !(s < 2.5) }'; then
		echo "Overall exposure level for efactura.service: $score"
		ran "systemd-analyze security --offline=yes: exposure $score (< 2.5)"
	else
		printf '%s\n' "$out"
		fail "systemd-analyze security: exposure $score, not under 2.5"
	fi
fi

echo "docs-check: done in $(($(date +%s) - T0)) s"
printf '  %s\n' "${summary[@]}"
exit $failed
