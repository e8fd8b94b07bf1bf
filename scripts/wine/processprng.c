/*
 * bcryptprimitives.dll for wine prefixes that lack ProcessPrng.
 *
 * Rust's standard library on Windows takes its random bytes (HashMap seeds, among others) from
 * ProcessPrng in bcryptprimitives.dll, which Debian 12's wine 8 does not export, so every Rust
 * test binary fails to load there. scripts/wine-test.sh builds this stub with mingw-w64 into
 * the throwaway wine prefix it creates; it is never shipped. The bytes come from RtlGenRandom
 * (advapi32's SystemFunction036), wine's own system RNG.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* Fills data[0..len) with random bytes; like the real function it reports success. */
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
