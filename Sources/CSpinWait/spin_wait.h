// The one instruction Swift cannot reach: the CPU's spin-wait hint (`pause`), which a
// busy-waiting thread issues so it yields execution resources to its sibling hardware
// thread and leaves the loop without a memory-order mis-speculation.
static inline void spin_wait_hint(void) { __builtin_ia32_pause(); }
