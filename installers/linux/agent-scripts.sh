# Maintainer script functions of the edict-agent .deb and .rpm (POSIX sh). The package builder
# puts this file in front of each script and calls one function per action:
#   deb postinst configure / rpm %post     -> edict_agent_configure
#   deb prerm remove / rpm %preun (erase)  -> edict_agent_stop
#   deb postrm remove / rpm %postun erase  -> edict_agent_removed
#   deb postrm purge                       -> edict_agent_purge
# Install-time settings come from the environment (EDICT_SERVER, EDICT_ENROLL_TOKEN and
# optionally EDICT_CA_FILE), e.g. `sudo EDICT_SERVER=… EDICT_ENROLL_TOKEN=… apt install ./edict-agent.deb`,
# and are written to /etc/edict/agent.env (mode 0600). The token is never printed. Nothing here
# contacts the server: the service enrolls when it starts, so an unreachable server never fails
# the install.
EDICT_ENV_FILE=/etc/edict/agent.env
EDICT_STATE_DIR=/var/lib/edict-agent
EDICT_UNIT=edict-agent.service

edict_systemd_running() { [ -d /run/systemd/system ]; }

edict_agent_write_env() {
  umask 077
  mkdir -p /etc/edict
  chmod 0755 /etc/edict
  if [ -n "${EDICT_SERVER:-}" ] || [ -n "${EDICT_ENROLL_TOKEN:-}" ]; then
    if [ -z "${EDICT_SERVER:-}" ] || [ -z "${EDICT_ENROLL_TOKEN:-}" ]; then
      echo "edict-agent: EDICT_SERVER and EDICT_ENROLL_TOKEN must be given together; settings not changed" >&2
    else
      tmp="$EDICT_ENV_FILE.new.$$"
      {
        echo "# Enrollment settings of the Edict agent, written at package install. The service reads"
        echo "# them at start (EnvironmentFile) and enrolls once; the token is not needed afterwards."
        printf 'EDICT_SERVER=%s\n' "$EDICT_SERVER"
        printf 'EDICT_ENROLL_TOKEN=%s\n' "$EDICT_ENROLL_TOKEN"
        if [ -n "${EDICT_CA_FILE:-}" ]; then printf 'EDICT_CA_FILE=%s\n' "$EDICT_CA_FILE"; fi
      } > "$tmp"
      chmod 0600 "$tmp"
      mv -f "$tmp" "$EDICT_ENV_FILE"
      echo "edict-agent: enrollment settings for $EDICT_SERVER written to $EDICT_ENV_FILE (mode 0600)"
    fi
  elif [ ! -e "$EDICT_ENV_FILE" ]; then
    {
      echo "# Enrollment settings of the Edict agent (mode 0600: the token is a secret)."
      echo "# Fill in both, then: systemctl restart edict-agent"
      echo "#EDICT_SERVER=https://edict.example.com"
      echo "#EDICT_ENROLL_TOKEN=edict_enr_..."
      echo "# A company CA for the server's TLS certificate (PEM), if not publicly trusted:"
      echo "#EDICT_CA_FILE=/etc/edict/company-ca.pem"
    } > "$EDICT_ENV_FILE"
  fi
  if [ -e "$EDICT_ENV_FILE" ]; then
    chown root:root "$EDICT_ENV_FILE"
    chmod 0600 "$EDICT_ENV_FILE"
  fi
}

edict_agent_configure() {
  edict_agent_write_env
  mkdir -p "$EDICT_STATE_DIR"
  chmod 0711 "$EDICT_STATE_DIR"
  if [ -s "$EDICT_STATE_DIR/enrollment.json" ]; then
    echo "edict-agent: already enrolled; enrollment and state in $EDICT_STATE_DIR kept"
  elif grep -q '^EDICT_SERVER=.' "$EDICT_ENV_FILE" 2>/dev/null && grep -q '^EDICT_ENROLL_TOKEN=.' "$EDICT_ENV_FILE" 2>/dev/null; then
    echo "edict-agent: the service enrolls with $(sed -n 's/^EDICT_SERVER=//p' "$EDICT_ENV_FILE" | head -n 1) when it starts (retrying until the server answers)"
  else
    echo "edict-agent: installed but NOT enrolled: put EDICT_SERVER and EDICT_ENROLL_TOKEN in $EDICT_ENV_FILE, then: systemctl restart edict-agent"
  fi
  if command -v deb-systemd-helper >/dev/null 2>&1; then
    deb-systemd-helper unmask "$EDICT_UNIT" >/dev/null 2>&1 || true
    deb-systemd-helper enable "$EDICT_UNIT" >/dev/null 2>&1 || true
  elif command -v systemctl >/dev/null 2>&1; then
    systemctl enable "$EDICT_UNIT" >/dev/null 2>&1 || true
  fi
  if edict_systemd_running; then
    systemctl daemon-reload >/dev/null 2>&1 || true
    # restart, not start: an upgrade runs the new binary, and new settings are read.
    systemctl restart "$EDICT_UNIT" >/dev/null 2>&1 || echo "edict-agent: the service did not start; see: journalctl -u edict-agent" >&2
  else
    echo "edict-agent: systemd is not running here; start the agent with the unit's command:"
    echo "  /usr/bin/edict-agent --state-dir $EDICT_STATE_DIR --config /etc/edict/agent.json run --wait-for-enrollment"
  fi
  return 0
}

edict_agent_stop() {
  if edict_systemd_running; then
    systemctl stop "$EDICT_UNIT" >/dev/null 2>&1 || true
  fi
  return 0
}

edict_agent_removed() {
  if edict_systemd_running; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
  echo "edict-agent: removed; enrollment and state kept in $EDICT_STATE_DIR and $EDICT_ENV_FILE (purge to delete them)"
  return 0
}

edict_agent_purge() {
  rm -rf "$EDICT_STATE_DIR"
  rm -f "$EDICT_ENV_FILE"
  rmdir /etc/edict 2>/dev/null || true
  if command -v deb-systemd-helper >/dev/null 2>&1; then
    deb-systemd-helper purge "$EDICT_UNIT" >/dev/null 2>&1 || true
    deb-systemd-helper unmask "$EDICT_UNIT" >/dev/null 2>&1 || true
  fi
  return 0
}
