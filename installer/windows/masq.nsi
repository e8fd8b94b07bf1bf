; The masq installer for 64-bit Windows, built by installer/windows/nsis.sh with Debian's
; makensis (Tauri's own NSIS bundling downloads its tools, which this build cannot).
;
; Installs masq.exe, wintun.dll (and the desktop app when the build has one) to Program Files,
; registers and starts the service with `masq.exe service install`, adds a Start-menu entry
; and an "Apps & features" entry. Installing over an older version stops its service first
; and registers it again in place; config files live in the user's profile and are never
; touched, so they survive upgrades and uninstalls. The uninstaller stops and removes the
; service, then runs `masq.exe down` on the service's journal to undo anything a crashed
; service left behind (adapter, routes, forwarding), and only then deletes the files.
;
; Defines (makensis -D): VERSION (x.y.z), STAGE (folder with the files), OUTFILE, and GUI
; (set when STAGE holds masq-gui.exe and WebView2Loader.dll).

; A 64-bit installer: masq is 64-bit only, $SYSDIR and the registry are the native ones
; without WOW64 redirection, and wine64 (CI) runs it without a 32-bit wine.
Target amd64-unicode
SetCompressor /SOLID lzma
ManifestDPIAware true

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "x64.nsh"

!ifndef VERSION
  !error "define VERSION (see installer/windows/nsis.sh)"
!endif
!ifndef STAGE
  !error "define STAGE (see installer/windows/nsis.sh)"
!endif
!ifndef OUTFILE
  !error "define OUTFILE (see installer/windows/nsis.sh)"
!endif

!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\masq"
!define APP_KEY "Software\masq"
; Where the service keeps its journal of system changes, so the uninstaller's `masq down`
; finds it (the service account's own profile is not the installing user's).
!define JOURNAL "$APPDATA\masq\state.json"

Name "masq ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\masq"
InstallDirRegKey HKLM "${APP_KEY}" "InstallDir"
RequestExecutionLevel admin
BrandingText "masq ${VERSION}"

VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "masq"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "masq installer"
VIAddVersionKey "LegalCopyright" "masq authors, MIT OR Apache-2.0"

!define MUI_ABORTWARNING
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "masq needs 64-bit Windows." /SD IDOK
    Abort
  ${EndIf}
  SetRegView 64
  SetShellVarContext all
FunctionEnd

Function un.onInit
  SetRegView 64
  SetShellVarContext all
FunctionEnd

Section "masq" SecMain
  SectionIn RO
  SetOutPath "$INSTDIR"
  ; An upgrade: the running service holds masq.exe and wintun.dll open.
  ${If} ${FileExists} "$INSTDIR\masq.exe"
    DetailPrint "Stopping the running masq service for the upgrade"
    nsExec::ExecToLog '"$INSTDIR\masq.exe" service stop'
    Pop $0
  ${EndIf}
  File "${STAGE}\masq.exe"
  File "${STAGE}\wintun.dll"
  File "${STAGE}\README.txt"
  File "${STAGE}\COPYRIGHT.txt"
  File "${STAGE}\THIRD-PARTY-LICENSES.txt"
  File "${STAGE}\wintun-LICENSE.txt"
!ifdef GUI
  File "${STAGE}\masq-gui.exe"
  File "${STAGE}\WebView2Loader.dll"
  File "${STAGE}\WebView2Loader-NOTICE.txt"
!endif
  CreateDirectory "$APPDATA\masq"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  WriteRegStr HKLM "${APP_KEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "masq"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "masq authors"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\masq.exe"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1

!ifdef GUI
  CreateShortcut "$SMPROGRAMS\masq.lnk" "$INSTDIR\masq-gui.exe" "" "$INSTDIR\masq-gui.exe" 0 \
    SW_SHOWNORMAL "" "Share this computer's internet connection with a LAN"
!else
  ; No desktop app in this build: the entry opens a prompt where `masq status` etc. work.
  CreateShortcut "$SMPROGRAMS\masq.lnk" "$SYSDIR\cmd.exe" \
    '/k "cd /d "$INSTDIR" && masq.exe --help"' "$INSTDIR\masq.exe" 0 \
    SW_SHOWNORMAL "" "masq command prompt"
!endif

  ; Registers the service for the installing user (the one account besides SYSTEM and
  ; Administrators allowed on the control pipe) or updates an older registration in place.
  DetailPrint "Installing and starting the masq service"
  nsExec::ExecToLog '"$INSTDIR\masq.exe" service install --state-file "${JOURNAL}"'
  Pop $0
  ${If} $0 != 0
    SetErrorLevel 2
    MessageBox MB_ICONEXCLAMATION "masq is installed, but its service could not be installed or started (exit code $0; see Show details). Try again from an administrator prompt: masq service install" /SD IDOK
  ${EndIf}
SectionEnd

Section "Uninstall"
  ${If} ${FileExists} "$INSTDIR\masq.exe"
    DetailPrint "Stopping and removing the masq service"
    nsExec::ExecToLog '"$INSTDIR\masq.exe" service uninstall'
    Pop $0
    ; The service undoes its changes when it stops; this repairs what a crashed one left.
    DetailPrint "Undoing any system changes left by masq"
    nsExec::ExecToLog '"$INSTDIR\masq.exe" down --state-file "${JOURNAL}"'
    Pop $1
    ${If} $1 != 0
      SetErrorLevel 2
      MessageBox MB_ICONSTOP "masq could not undo all of its network changes (exit code $1; see Show details), so it stays installed: run $\"masq down --state-file ${JOURNAL}$\" from an administrator prompt in $INSTDIR, then uninstall again." /SD IDOK
      Abort
    ${EndIf}
  ${EndIf}
  Delete "$INSTDIR\masq.exe"
  Delete "$INSTDIR\wintun.dll"
  Delete "$INSTDIR\masq-gui.exe"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\README.txt"
  Delete "$INSTDIR\COPYRIGHT.txt"
  Delete "$INSTDIR\THIRD-PARTY-LICENSES.txt"
  Delete "$INSTDIR\wintun-LICENSE.txt"
  Delete "$INSTDIR\WebView2Loader-NOTICE.txt"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  RMDir "$APPDATA\masq"
  Delete "$SMPROGRAMS\masq.lnk"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
  DeleteRegKey HKLM "${APP_KEY}"
SectionEnd
