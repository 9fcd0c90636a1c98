#include "runtime/supervisor_protocol.h"

#include <nlohmann/json.hpp>

namespace corral::runtime {

std::string exit_record_to_json(const ExitRecord& record)
{
    // By hand: the supervisor's loop writes this, and it should not carry
    // a JSON library for one object of numbers and a timestamp (which holds
    // only digits, '-', ':', '.', 'T' and 'Z').
    return "{\"ExitCode\":" + std::to_string(record.exit_code) + ",\"Signal\":" + std::to_string(record.signal)
        + ",\"OOMKilled\":" + (record.oom_killed ? "true" : "false") + ",\"FinishedAt\":\"" + record.finished_at
        + "\"}";
}

ErrorOr<ExitRecord> exit_record_from_json(std::string_view text)
{
    auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_object())
        return Error::from_string("exit record: not a JSON object");
    ExitRecord record;
    auto code = json.find("ExitCode");
    if (code == json.end() || !code->is_number_integer())
        return Error::from_string("exit record: ExitCode: expected an integer");
    record.exit_code = code->get<int>();
    if (auto signal = json.find("Signal"); signal != json.end() && signal->is_number_integer())
        record.signal = signal->get<int>();
    if (auto oom = json.find("OOMKilled"); oom != json.end() && oom->is_boolean())
        record.oom_killed = oom->get<bool>();
    if (auto finished = json.find("FinishedAt"); finished != json.end() && finished->is_string())
        record.finished_at = finished->get<std::string>();
    return record;
}

} // namespace corral::runtime
