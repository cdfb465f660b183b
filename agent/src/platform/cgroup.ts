// Which container a process runs in, from the text of /proc/<pid>/cgroup (cgroup v1 or v2).
// Pure function so it is tested against the formats docker, podman, containerd, CRI-O and LXC
// write. Returns `<runtime>:<first 12 chars of the id>` or undefined for a host process.

const RULES: { runtime: string; re: RegExp }[] = [
  // docker (cgroupfs driver: /docker/<id>; systemd driver: docker-<id>.scope)
  { runtime: 'docker', re: /(?:\/docker\/|docker-)([0-9a-f]{12,64})(?:\.scope)?(?:\/|$)/ },
  // podman: libpod-<id>.scope, or libpod_parent/libpod-<id>
  { runtime: 'podman', re: /libpod-(?:conmon-)?([0-9a-f]{12,64})(?:\.scope)?(?:\/|$)/ },
  // Kubernetes with containerd or CRI-O
  { runtime: 'containerd', re: /cri-containerd-([0-9a-f]{12,64})\.scope/ },
  { runtime: 'cri-o', re: /crio-(?:conmon-)?([0-9a-f]{12,64})\.scope/ },
  { runtime: 'kubepods', re: /\/kubepods[^\n]*\/([0-9a-f]{64})(?:\/|$)/ },
  // LXC / LXD: /lxc/<name> or /lxc.payload.<name>
  { runtime: 'lxc', re: /\/lxc(?:\.payload)?[./]([A-Za-z0-9_.-]+)/ },
];

export function containerFromCgroup(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const path = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
    for (const { runtime, re } of RULES) {
      const m = re.exec(path);
      if (m) return `${runtime}:${m[1].slice(0, 12)}`;
    }
  }
  return undefined;
}
