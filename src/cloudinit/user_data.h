#pragma once

// What a datasource's user data is and what is saved from it (reference §5):
//   gzip (1f 8b)      decompressed first
//   #cloud-config     parsed and validated; saved as cloud-config.d/boot.yml
//   #!                a script; saved as cloud-config-script, run by console-init
//   #compose          a compose file, saved as boot.yml under rancher.services
//   anything else     dropped with a message

#include <string>
#include <string_view>
#include <vector>

namespace corral::cloudinit {

enum class UserDataKind {
    Empty, // nothing but white space
    CloudConfig,
    Compose,
    Script,
    Invalid, // a cloud-config or compose file that does not parse, or bad gzip
    Unrecognized,
};

const char* user_data_kind_name(UserDataKind kind); // "#cloud-config", "a script", …

struct UserData {
    UserDataKind kind { UserDataKind::Empty };
    std::string cloud_config; // the text for boot.yml (CloudConfig, Compose)
    std::string script; // the script (Script)
    // Why the data was dropped (Invalid, Unrecognized), or the schema errors of a
    // config that is kept (the loader ignores those values, naming boot.yml).
    std::vector<std::string> errors;
    std::vector<std::string> warnings; // unknown keys
};

// Classifies and converts raw user data. `source` names it in messages (the
// file it came from). Pure: no file system access.
UserData process_user_data(std::string_view raw, const std::string& source);

} // namespace corral::cloudinit
