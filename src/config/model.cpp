#include "config/model.h"

namespace corral::config {

void decode(const Node& node, MountEntry& out, DecodeContext& context)
{
    out = {};
    if (!node.is_list()) {
        context.error(node, "expected [device, mountpoint, fstype, options], got " + node.describe());
        return;
    }
    decode(node, out.fields, context);
    if (auto problem = check_mount(out.fields))
        context.error(node, *problem);
}

CloudConfig decode_cloud_config(const Node& root, Diagnostics& diagnostics)
{
    CloudConfig config;
    DecodeContext context(diagnostics);
    decode(root, config, context);
    return config;
}

} // namespace corral::config
