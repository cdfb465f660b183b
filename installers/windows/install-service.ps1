# Installs the Edict agent as the Windows service `EdictAgent` (run as Administrator; MSI custom
# action, Intune Win32 app or SCCM script). Copies the single-file agent and WinSW (the service
# wrapper: a Node program cannot answer the Service Control Manager by itself) to
# %ProgramFiles%\Edict, writes the enrollment settings into the wrapper's config (readable by
# SYSTEM and Administrators only: the token is a secret) and starts the service, which enrolls by
# itself. An unreachable server does not fail the install; without -Server/-Token the service
# waits, saying so in its log. Re-running it upgrades the binary and keeps enrollment and state.
param(
  [string]$Server = $env:EDICT_SERVER,
  [string]$Token = $env:EDICT_ENROLL_TOKEN,
  [string]$CaFile = $env:EDICT_CA_FILE,
  [string]$Source = $PSScriptRoot
)
$ErrorActionPreference = 'Stop'
$dir = Join-Path $env:ProgramFiles 'Edict'
$state = Join-Path $env:ProgramData 'Edict\agent'
New-Item -ItemType Directory -Force -Path $dir, $state | Out-Null

if (Get-Service EdictAgent -ErrorAction SilentlyContinue) { & (Join-Path $dir 'EdictAgent.exe') stop | Out-Null }
Copy-Item (Join-Path $Source 'edict-agent.exe') $dir -Force
Copy-Item (Join-Path $Source 'EdictAgent.exe') $dir -Force     # WinSW-x64.exe, renamed

$xml = Get-Content (Join-Path $Source 'EdictAgent.xml') -Raw
$envXml = ''
if ($Server -and $Token) {
  $envXml = "<env name=`"EDICT_SERVER`" value=`"$([Security.SecurityElement]::Escape($Server))`"/><env name=`"EDICT_ENROLL_TOKEN`" value=`"$([Security.SecurityElement]::Escape($Token))`"/>"
  if ($CaFile) { $envXml += "<env name=`"EDICT_CA_FILE`" value=`"$([Security.SecurityElement]::Escape($CaFile))`"/>" }
  Write-Output "edict-agent: enrollment settings for $Server written (the service enrolls when it starts)"
} elseif (Test-Path (Join-Path $dir 'EdictAgent.xml')) {
  # Upgrade without new settings: keep the ones already configured.
  $old = Get-Content (Join-Path $dir 'EdictAgent.xml') -Raw
  $envXml = ([regex]::Matches($old, '<env [^>]*/>') | ForEach-Object { $_.Value }) -join ''
} else {
  Write-Output "edict-agent: installed but NOT enrolled: re-run with -Server URL -Token TOKEN"
}
$xml = $xml.Replace('<!--EDICT_ENV-->', $envXml).Replace('%EDICT_STATE%', $state)
$cfg = Join-Path $dir 'EdictAgent.xml'
Set-Content -Path $cfg -Value $xml -Encoding UTF8
$acl = New-Object Security.AccessControl.FileSecurity
$acl.SetAccessRuleProtection($true, $false)
foreach ($who in 'NT AUTHORITY\SYSTEM', 'BUILTIN\Administrators') {
  $acl.AddAccessRule((New-Object Security.AccessControl.FileSystemAccessRule($who, 'FullControl', 'Allow')))
}
Set-Acl -Path $cfg -AclObject $acl

if (-not (Get-Service EdictAgent -ErrorAction SilentlyContinue)) { & (Join-Path $dir 'EdictAgent.exe') install | Out-Null }
& (Join-Path $dir 'EdictAgent.exe') start | Out-Null
& (Join-Path $dir 'edict-agent.exe') --version
