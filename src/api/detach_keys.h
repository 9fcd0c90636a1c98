#pragma once

// Docker's detach keys: the key sequence that, typed into an attached
// terminal, leaves the container running and ends the attach (ctrl-p ctrl-q
// unless the client names others with ?detachKeys= or an exec's DetachKeys).
// As dockerd, they are watched for on terminals only: without one, stdin is
// data and passes through untouched.

#include "base/error.h"

#include <string>
#include <string_view>

namespace corral::api {

// "ctrl-p,ctrl-q" → "\x10\x11". Items are comma-separated: one character as
// itself, or ctrl-<x> for x in a–z, @, [, \, ], ^, _. Empty gives the
// default. EINVAL naming the item for anything else.
ErrorOr<std::string> parse_detach_keys(std::string_view spec);

// Finds the sequence in a stream read in pieces. A piece that ends with a
// part of the sequence holds that part back until the next piece shows
// whether it was the sequence (dropped) or data (passed on).
class DetachScanner {
public:
    explicit DetachScanner(std::string keys)
        : m_keys(std::move(keys))
    {
    }

    // The bytes of `input` to pass on; sets `detached` when the sequence is
    // complete (what came after it in `input` is dropped).
    std::string feed(std::string_view input, bool& detached);
    // What is held back, when the input ends in the middle of a sequence.
    std::string flush();

private:
    std::string m_keys;
    size_t m_matched { 0 }; // how much of m_keys the held-back bytes match
};

} // namespace corral::api
