package dev.spinup.controlplane.dns;

import dev.spinup.controlplane.fleet.DnsPublisher;

/** Where the control plane publishes workspaces' names: the settings of one publisher. */
public sealed interface DnsConfig permits Rfc2136Publisher.Config, Route53Publisher.Config {
    /** A publisher with these settings. */
    DnsPublisher publisher();
}
