# Removes the Edict agent service (run as Administrator). Enrollment and state in
# %ProgramData%\Edict stay unless -Purge is given.
param([switch]$Purge)
$ErrorActionPreference = 'Stop'
$dir = Join-Path $env:ProgramFiles 'Edict'
$wrapper = Join-Path $dir 'EdictAgent.exe'
if (Test-Path $wrapper) {
  & $wrapper stop | Out-Null
  & $wrapper uninstall | Out-Null
}
Remove-Item -Recurse -Force $dir -ErrorAction SilentlyContinue
if ($Purge) { Remove-Item -Recurse -Force (Join-Path $env:ProgramData 'Edict') -ErrorAction SilentlyContinue }
