package dev.spinup.agent;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * @param controlPlanes  control-plane addresses (host:port), tried in turn
 * @param certificate    this host's client certificate (its CN is the host id), PEM
 * @param privateKey     its private key, PKCS#8 PEM
 * @param caCertificate  the CA that signed the control plane's server certificate, PEM
 * @param guestDir       the unpacked guest, or null to unpack the one shipped with the agent
 * @param advertiseHost  how the edge and clients reach this host's workspaces
 * @param edge           this host's edge proxy, or null for none (routes are only recorded)
 * @param qemu           run workspaces as qemu VMs; null: the process driver
 * @param codeServer     the IDE every workspace runs beside its app (a folder
 *                       vm-base-config/build-code-server.sh builds); null: workspaces have no IDE
 * @param templateDeps   {@code <template>/node_modules} for each npm template (a folder
 *                       vm-base-config/build-templates.sh fills): a new project gets a copy and
 *                       runs its dev server; null: projects serve their build
 */
public record HostAgentConfig(
        List<String> controlPlanes,
        Path certificate,
        Path privateKey,
        Path caCertificate,
        Path dataDir,
        Path guestDir,
        String advertiseHost,
        int portFrom,
        int portTo,
        int totalVcpu,
        int totalRamGb,
        int totalDiskGb,
        Duration heartbeatInterval,
        Duration startTimeout,
        Edge edge,
        Qemu qemu,
        Path codeServer,
        Path templateDeps) {
    /**
     * @param image an image directory built by vm-base-config/build-image.sh
     * @param accel KVM, TCG, or AUTO (KVM when /dev/kvm is usable)
     */
    public record Qemu(Path image, dev.spinup.agent.drivers.QemuVmDriver.Accel accel) {
        public Qemu {
            requireNonNull(image, "image");
            requireNonNull(accel, "accel");
        }
    }

    /**
     * @param settings    how Caddy listens (edge-proxy-config)
     * @param caddyBinary the agent runs and supervises this Caddy; null: drive the system's Caddy
     */
    public record Edge(dev.spinup.edge.EdgeSettings settings, Path caddyBinary) {
        public Edge {
            requireNonNull(settings, "settings");
        }
    }

    /** Without an edge proxy. */
    public HostAgentConfig(
            List<String> controlPlanes,
            Path certificate,
            Path privateKey,
            Path caCertificate,
            Path dataDir,
            Path guestDir,
            String advertiseHost,
            int portFrom,
            int portTo,
            int totalVcpu,
            int totalRamGb,
            int totalDiskGb,
            Duration heartbeatInterval,
            Duration startTimeout) {
        this(
                controlPlanes,
                certificate,
                privateKey,
                caCertificate,
                dataDir,
                guestDir,
                advertiseHost,
                portFrom,
                portTo,
                totalVcpu,
                totalRamGb,
                totalDiskGb,
                heartbeatInterval,
                startTimeout,
                null,
                null,
                null,
                null);
    }

    public HostAgentConfig withEdge(Edge edge) {
        return new HostAgentConfig(
                controlPlanes,
                certificate,
                privateKey,
                caCertificate,
                dataDir,
                guestDir,
                advertiseHost,
                portFrom,
                portTo,
                totalVcpu,
                totalRamGb,
                totalDiskGb,
                heartbeatInterval,
                startTimeout,
                edge,
                qemu,
                codeServer,
                templateDeps);
    }

    public HostAgentConfig withStartTimeout(Duration startTimeout) {
        return new HostAgentConfig(
                controlPlanes,
                certificate,
                privateKey,
                caCertificate,
                dataDir,
                guestDir,
                advertiseHost,
                portFrom,
                portTo,
                totalVcpu,
                totalRamGb,
                totalDiskGb,
                heartbeatInterval,
                startTimeout,
                edge,
                qemu,
                codeServer,
                templateDeps);
    }

    public HostAgentConfig withQemu(Qemu qemu) {
        return new HostAgentConfig(
                controlPlanes,
                certificate,
                privateKey,
                caCertificate,
                dataDir,
                guestDir,
                advertiseHost,
                portFrom,
                portTo,
                totalVcpu,
                totalRamGb,
                totalDiskGb,
                heartbeatInterval,
                startTimeout,
                edge,
                qemu,
                codeServer,
                templateDeps);
    }

    public HostAgentConfig {
        controlPlanes = List.copyOf(controlPlanes);
        requireNonNull(certificate, "certificate");
        requireNonNull(privateKey, "privateKey");
        requireNonNull(caCertificate, "caCertificate");
        requireNonNull(dataDir, "dataDir");
        requireNonNull(advertiseHost, "advertiseHost");
        if (portFrom <= 0 || portTo < portFrom || portTo > 65535) {
            throw new IllegalArgumentException("bad workspace port range " + portFrom + "-" + portTo);
        }
    }

    public HostAgentConfig withCodeServer(Path codeServer) {
        return new HostAgentConfig(
                controlPlanes,
                certificate,
                privateKey,
                caCertificate,
                dataDir,
                guestDir,
                advertiseHost,
                portFrom,
                portTo,
                totalVcpu,
                totalRamGb,
                totalDiskGb,
                heartbeatInterval,
                startTimeout,
                edge,
                qemu,
                codeServer,
                templateDeps);
    }

    public HostAgentConfig withTemplateDeps(Path templateDeps) {
        return new HostAgentConfig(
                controlPlanes,
                certificate,
                privateKey,
                caCertificate,
                dataDir,
                guestDir,
                advertiseHost,
                portFrom,
                portTo,
                totalVcpu,
                totalRamGb,
                totalDiskGb,
                heartbeatInterval,
                startTimeout,
                edge,
                qemu,
                codeServer,
                templateDeps);
    }
}
