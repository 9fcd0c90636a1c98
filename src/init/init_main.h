#pragma once

namespace corral::init {

// The `init` applet: PID 1 of CorralOS (the initrd's /init). Runs the boot
// chain, then supervises for ever; never returns when it is PID 1.
int init_main(int argc, char** argv);

} // namespace corral::init
