#pragma once

// The cloud-init applets (reference §1.4, §3.6, §5):
//   cloud-init-save                          probes rancher.cloud_init.datasources
//                                            and saves user data and metadata
//   cloud-init-execute [-pre-console] [-console]
//                                            -pre-console: rancher.sysctl, hostname
//                                            -console: ssh_authorized_keys,
//                                            write_files, runcmd
//                                            neither: both, in that order
// Both log to stderr and to /var/log/boot/<applet>.log, and exit 0 unless the
// results could not be written: a bad cloud-config never fails a boot.

namespace corral::cli {

int cloud_init_save_main(int argc, char** argv);
int cloud_init_execute_main(int argc, char** argv);

} // namespace corral::cli
