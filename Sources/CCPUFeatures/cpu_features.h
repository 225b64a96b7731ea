// What this CPU and OS run, by cpuid and xgetbv directly (no runtime library is needed
// to link it).
#include <cpuid.h>

// Whether the OS saves the 512-bit registers: XCR0's opmask, ZMM_Hi256 and Hi16_ZMM
// bits besides SSE and AVX state.
static inline int os_saves_avx512_state(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE)) return 0;
    unsigned int xcr0_low, xcr0_high;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    return (xcr0_low & 0xE6) == 0xE6;
}

// AVX512 F, CD, BW, DQ and VL: what OpenBLAS's SkylakeX kernels use.
static inline int cpu_runs_avx512_core(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!os_saves_avx512_state() || !__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    const unsigned int needed_ebx = bit_AVX512F | bit_AVX512CD | bit_AVX512DQ | bit_AVX512BW | bit_AVX512VL;
    return (ebx & needed_ebx) == needed_ebx;
}

// Whether this CPU and OS run the AVX-512 kernels (QuantizedKernelsAVX512): the
// instruction sets they are compiled for (AVX512 F, BW, VL, DQ and VNNI, as Cascade
// Lake and Zen 4 have them).
static inline int cpu_runs_avx512_vnni_kernels(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!os_saves_avx512_state() || !__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    const unsigned int needed_ebx = bit_AVX512F | bit_AVX512DQ | bit_AVX512BW | bit_AVX512VL;
    return (ebx & needed_ebx) == needed_ebx && (ecx & bit_AVX512VNNI) != 0;
}
