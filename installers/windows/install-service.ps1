# Installs the Edict agent as a Windows service (run as Administrator). Requires Node.js 20+
# and the agent installed with `npm install -g edict` (or unpacked) so that edict-agent is on PATH.
param(
  [Parameter(Mandatory = $true)][string]$Server,
  [Parameter(Mandatory = $true)][string]$Token
)
$ErrorActionPreference = 'Stop'
$state = Join-Path $env:ProgramData 'Edict\agent'
New-Item -ItemType Directory -Force -Path $state | Out-Null
& edict-agent --state-dir $state enroll --server $Server --token $Token
$node = (Get-Command node).Source
$cli = (Join-Path (npm root -g) 'edict\dist\agent\src\cli.js')
New-Service -Name 'EdictAgent' -DisplayName 'Edict agent' -StartupType Automatic `
  -BinaryPathName "`"$node`" `"$cli`" --state-dir `"$state`" run"
Start-Service EdictAgent
