// corral-supervisor-monitor: the supervisor's second stage (supervisor.h).
// Its own small static program so that only the loop's pages stay resident.

#include "runtime/supervisor.h"

int main(int argc, char** argv)
{
    return corral::runtime::supervisor_monitor_main(argc, argv);
}
