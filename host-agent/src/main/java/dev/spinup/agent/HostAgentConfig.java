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
        return with(b -> b.edge = edge);
    }

    public HostAgentConfig withStartTimeout(Duration startTimeout) {
        return with(b -> b.startTimeout = startTimeout);
    }

    public HostAgentConfig withQemu(Qemu qemu) {
        return with(b -> b.qemu = qemu);
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
        return with(b -> b.codeServer = codeServer);
    }

    public HostAgentConfig withTemplateDeps(Path templateDeps) {
        return with(b -> b.templateDeps = templateDeps);
    }

    /** A copy with {@code change} made to it: what every {@code with…} method is. */
    private HostAgentConfig with(java.util.function.Consumer<Copy> change) {
        Copy b = new Copy(this);
        change.accept(b);
        return b.build();
    }

    /** The components of a {@link HostAgentConfig}, to change some and build a new one. */
    private static final class Copy {
        List<String> controlPlanes;
        Path certificate;
        Path privateKey;
        Path caCertificate;
        Path dataDir;
        Path guestDir;
        String advertiseHost;
        int portFrom;
        int portTo;
        int totalVcpu;
        int totalRamGb;
        int totalDiskGb;
        Duration heartbeatInterval;
        Duration startTimeout;
        Edge edge;
        Qemu qemu;
        Path codeServer;
        Path templateDeps;

        Copy(HostAgentConfig c) {
            controlPlanes = c.controlPlanes();
            certificate = c.certificate();
            privateKey = c.privateKey();
            caCertificate = c.caCertificate();
            dataDir = c.dataDir();
            guestDir = c.guestDir();
            advertiseHost = c.advertiseHost();
            portFrom = c.portFrom();
            portTo = c.portTo();
            totalVcpu = c.totalVcpu();
            totalRamGb = c.totalRamGb();
            totalDiskGb = c.totalDiskGb();
            heartbeatInterval = c.heartbeatInterval();
            startTimeout = c.startTimeout();
            edge = c.edge();
            qemu = c.qemu();
            codeServer = c.codeServer();
            templateDeps = c.templateDeps();
        }

        HostAgentConfig build() {
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
}
