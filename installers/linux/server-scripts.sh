# Maintainer script functions of the edict-server .deb and .rpm (POSIX sh), used like
# agent-scripts.sh: the builder prepends this file and calls one function per action. The server
# runs as the system user `edict`; its data (database, signing key, admin token) stays in
# /var/lib/edict-server across upgrade and remove, and goes only on purge.
EDICT_DATA_DIR=/var/lib/edict-server
EDICT_UNIT=edict-server.service

edict_systemd_running() { [ -d /run/systemd/system ]; }

edict_server_configure() {
  if ! getent group edict >/dev/null 2>&1; then groupadd --system edict; fi
  if ! getent passwd edict >/dev/null 2>&1; then
    useradd --system --gid edict --home-dir "$EDICT_DATA_DIR" --no-create-home --shell /usr/sbin/nologin --comment "Edict server" edict
  fi
  mkdir -p "$EDICT_DATA_DIR"
  chown edict:edict "$EDICT_DATA_DIR"
  chmod 0700 "$EDICT_DATA_DIR"
  if command -v deb-systemd-helper >/dev/null 2>&1; then
    deb-systemd-helper unmask "$EDICT_UNIT" >/dev/null 2>&1 || true
    deb-systemd-helper enable "$EDICT_UNIT" >/dev/null 2>&1 || true
  elif command -v systemctl >/dev/null 2>&1; then
    systemctl enable "$EDICT_UNIT" >/dev/null 2>&1 || true
  fi
  if edict_systemd_running; then
    systemctl daemon-reload >/dev/null 2>&1 || true
    systemctl restart "$EDICT_UNIT" >/dev/null 2>&1 || echo "edict-server: the service did not start; see: journalctl -u edict-server" >&2
    echo "edict-server: running; settings in /etc/edict/server.env; first admin token in $EDICT_DATA_DIR/admin-token"
  else
    echo "edict-server: systemd is not running here; start it as user edict with: /usr/bin/edict-server --data $EDICT_DATA_DIR"
  fi
  return 0
}

edict_server_stop() {
  if edict_systemd_running; then systemctl stop "$EDICT_UNIT" >/dev/null 2>&1 || true; fi
  return 0
}

edict_server_removed() {
  if edict_systemd_running; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
  echo "edict-server: removed; data kept in $EDICT_DATA_DIR (purge to delete it)"
  return 0
}

edict_server_purge() {
  rm -rf "$EDICT_DATA_DIR"
  rmdir /etc/edict 2>/dev/null || true
  if command -v deb-systemd-helper >/dev/null 2>&1; then
    deb-systemd-helper purge "$EDICT_UNIT" >/dev/null 2>&1 || true
    deb-systemd-helper unmask "$EDICT_UNIT" >/dev/null 2>&1 || true
  fi
  # The user `edict` stays (files elsewhere may still belong to it), as Debian policy advises.
  return 0
}
