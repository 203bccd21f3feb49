package dev.spinup.agent;

import dev.spinup.agent.edge.CaddyEdge;
import dev.spinup.edge.EdgeSettings;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "spinup-host-agent",
        mixinStandardHelpOptions = true,
        description = "The SpinUp host agent: dials the control plane over mTLS and runs this host's workspaces.",
        subcommands = {EnrollCommand.class})
public final class Main implements Callable<Integer> {
    @Option(
            names = "--control-plane",
            split = ",",
            defaultValue = "${env:SPINUP_CONTROL_PLANES}",
            description = "Control-plane addresses host:port, comma separated (env SPINUP_CONTROL_PLANES).")
    List<String> controlPlanes;

    @Option(names = "--cert", defaultValue = "${env:SPINUP_AGENT_CERT}", description = "Host client certificate, PEM.")
    Path cert;

    @Option(names = "--key", defaultValue = "${env:SPINUP_AGENT_KEY}", description = "Host private key, PKCS#8 PEM.")
    Path key;

    @Option(
            names = "--ca",
            defaultValue = "${env:SPINUP_AGENT_CA}",
            description = "CA certificate of the control plane, PEM.")
    Path ca;

    @Option(
            names = "--data-dir",
            defaultValue = "${env:SPINUP_AGENT_DATA_DIR}",
            description = "Where this agent keeps workspaces and its records.")
    Path dataDir;

    @Option(
            names = "--code-server",
            defaultValue = "${env:SPINUP_CODE_SERVER}",
            description =
                    "Run this code-server (a folder vm-base-config/build-code-server.sh builds) as every workspace's"
                            + " IDE, beside its app (process driver; env SPINUP_CODE_SERVER). Without it workspaces have no IDE.")
    Path codeServer;

    @Option(
            names = "--template-deps",
            defaultValue = "${env:SPINUP_TEMPLATE_DEPS}",
            description =
                    "A folder with <template>/node_modules for each npm template (vm-base-config/build-templates.sh fills"
                            + " one): a new project gets a copy and runs its dev server with hot reload (process driver;"
                            + " env SPINUP_TEMPLATE_DEPS). Without it projects serve their production build.")
    Path templateDeps;

    @Option(
            names = "--guest-dir",
            defaultValue = "${env:SPINUP_AGENT_GUEST_DIR}",
            description = "Use this unpacked guest instead of the one shipped with the agent.")
    Path guestDir;

    @Option(
            names = "--advertise-host",
            defaultValue = "${env:SPINUP_AGENT_ADVERTISE_HOST:-127.0.0.1}",
            description = "Address workspaces are reached at (default: ${DEFAULT-VALUE}).")
    String advertiseHost;

    @Option(
            names = "--port-range",
            defaultValue = "${env:SPINUP_AGENT_PORT_RANGE:-20000-20999}",
            description = "Ports for workspace apps (default: ${DEFAULT-VALUE}).")
    String portRange;

    @Option(
            names = "--capacity",
            defaultValue = "${env:SPINUP_AGENT_CAPACITY:-0,0,0}",
            description = "vcpu,ram_gb,disk_gb this host offers (reported in heartbeats).")
    String capacity;

    @Option(
            names = "--edge",
            defaultValue = "${env:SPINUP_AGENT_EDGE:-none}",
            description = "Edge proxy: none (routes only recorded), caddy (the agent runs and supervises Caddy), "
                    + "system (drive a Caddy the system runs, through its admin API). Default: ${DEFAULT-VALUE}.")
    String edge;

    @Option(
            names = "--edge-listen",
            defaultValue = "${env:SPINUP_AGENT_EDGE_LISTEN:-:80}",
            description = "Where the edge answers workspace requests (default: ${DEFAULT-VALUE}).")
    String edgeListen;

    @Option(
            names = "--edge-admin",
            defaultValue = "${env:SPINUP_AGENT_EDGE_ADMIN:-127.0.0.1:2019}",
            description = "Caddy's admin API, loopback only (default: ${DEFAULT-VALUE}).")
    String edgeAdmin;

    @Option(
            names = "--edge-tls",
            defaultValue = "${env:SPINUP_AGENT_EDGE_TLS:-off}",
            description =
                    "off (plain HTTP), internal (Caddy's local CA), acme (public certificates; needs --acme-email). Default: ${DEFAULT-VALUE}.")
    String edgeTls;

    @Option(
            names = "--acme-email",
            defaultValue = "${env:SPINUP_AGENT_ACME_EMAIL}",
            description = "ACME account e-mail, for --edge-tls acme.")
    String acmeEmail;

    @Option(
            names = "--caddy",
            defaultValue = "${env:SPINUP_AGENT_CADDY:-caddy}",
            description = "The Caddy binary for --edge caddy (default: ${DEFAULT-VALUE}, from PATH).")
    String caddyBinary;

    @Option(
            names = "--driver",
            defaultValue = "${env:SPINUP_AGENT_DRIVER:-process}",
            description = "How workspaces run: process (a supervised process tree, no isolation) or qemu (one VM each; "
                    + "needs --vm-image). Default: ${DEFAULT-VALUE}.")
    String driver;

    @Option(
            names = "--vm-image",
            defaultValue = "${env:SPINUP_AGENT_VM_IMAGE}",
            description = "For --driver qemu: the image directory vm-base-config/build-image.sh printed.")
    Path vmImage;

    @Option(
            names = "--qemu-accel",
            defaultValue = "${env:SPINUP_AGENT_QEMU_ACCEL:-auto}",
            description =
                    "For --driver qemu: kvm, tcg, or auto (KVM when /dev/kvm is usable, else TCG). Default: ${DEFAULT-VALUE}.")
    String qemuAccel;

    @Option(
            names = "--start-timeout-seconds",
            defaultValue = "${env:SPINUP_AGENT_START_TIMEOUT_SECONDS:-120}",
            description = "How long a workspace may take to boot and answer (default: ${DEFAULT-VALUE}).")
    int startTimeoutSeconds;

    @Option(
            names = "--metrics-port",
            defaultValue = "${env:SPINUP_AGENT_METRICS_PORT:-9091}",
            description = "Serve Prometheus /metrics on this port; 0: not at all (env SPINUP_AGENT_METRICS_PORT, "
                    + "default ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(
            names = "--metrics-bind",
            defaultValue = "${env:SPINUP_AGENT_METRICS_BIND:-0.0.0.0}",
            description = "The address /metrics listens on (default ${DEFAULT-VALUE}).")
    String metricsBind;

    @Option(
            names = "--heartbeat-seconds",
            defaultValue = "${env:SPINUP_AGENT_HEARTBEAT_SECONDS:-10}",
            description = "Heartbeat interval (default: ${DEFAULT-VALUE}).")
    int heartbeatSeconds;

    @picocli.CommandLine.Mixin
    dev.spinup.api.Settings.LogFormatOption logFormat;

    public static void main(String[] args) {
        dev.spinup.api.Settings.configureLogFormat("host-agent", args);
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        System.exit(dev.spinup.api.Settings.run("host-agent", java.util.Set.of(), new Main(), args));
    }

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private HostAgentConfig.Edge edgeConfig() {
        if (edge.equals("none")) {
            return null;
        }
        if (!edge.equals("caddy") && !edge.equals("system")) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--edge must be none, caddy or system, not " + edge);
        }
        EdgeSettings.Tls tls;
        try {
            tls = EdgeSettings.Tls.valueOf(edgeTls.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--edge-tls must be off, internal or acme, not " + edgeTls);
        }
        return new HostAgentConfig.Edge(
                new EdgeSettings(edgeAdmin, edgeListen, tls, acmeEmail, 30, advertiseHost),
                edge.equals("caddy") ? CaddyEdge.findBinary(caddyBinary) : null);
    }

    private HostAgentConfig.Qemu qemuConfig() {
        if (driver.equals("process")) {
            return null;
        }
        if (!driver.equals("qemu")) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--driver must be process or qemu, not " + driver);
        }
        if (vmImage == null) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(),
                    "--driver qemu needs --vm-image (build one with vm-base-config/build-image.sh)");
        }
        try {
            return new HostAgentConfig.Qemu(
                    vmImage,
                    dev.spinup.agent.drivers.QemuVmDriver.Accel.valueOf(qemuAccel.toUpperCase(java.util.Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--qemu-accel must be auto, kvm or tcg, not " + qemuAccel);
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        if (controlPlanes == null
                || controlPlanes.isEmpty()
                || cert == null
                || key == null
                || ca == null
                || dataDir == null) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "running the agent needs --control-plane, --cert, --key, --ca and --data-dir");
        }
        int[] ports =
                dev.spinup.api.Settings.numbers(spec.commandLine(), "--port-range", portRange, "-", "first-last", 1);
        if (ports[1] < ports[0] || ports[1] > 65535) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(),
                    "--port-range must be first-last with first <= last <= 65535, not " + portRange);
        }
        // 0,0,0 (the default): the host's capacity is what its registration says
        int[] cap = dev.spinup.api.Settings.numbers(
                spec.commandLine(), "--capacity", capacity, ",", "vcpu,ram_gb,disk_gb", 0);
        HostAgentConfig config = new HostAgentConfig(
                        controlPlanes,
                        cert,
                        key,
                        ca,
                        dataDir,
                        guestDir,
                        advertiseHost,
                        ports[0],
                        ports[1],
                        cap[0],
                        cap[1],
                        cap[2],
                        Duration.ofSeconds(heartbeatSeconds),
                        Duration.ofSeconds(startTimeoutSeconds))
                .withEdge(edgeConfig())
                .withQemu(qemuConfig())
                .withCodeServer(codeServer)
                .withTemplateDeps(templateDeps);
        HostAgent agent;
        try {
            agent = HostAgent.start(
                    config,
                    Clock.systemUTC(),
                    dev.spinup.agent.commands.CommandHooks.NONE,
                    dev.spinup.api.Telemetry.fromEnvironment("spinup-host-agent"));
        } catch (dev.spinup.agent.edge.ForeignEdgeException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        dev.spinup.api.Metrics.Endpoint metrics;
        try {
            metrics = metricsPort == 0
                    ? null
                    : new dev.spinup.api.Metrics.Endpoint(metricsBind, metricsPort, agent.meters());
        } catch (java.io.UncheckedIOException e) {
            agent.close();
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(),
                    "cannot serve /metrics on " + metricsBind + ":" + metricsPort + " ("
                            + e.getCause().getMessage()
                            + "); choose another port with --metrics-port or SPINUP_AGENT_METRICS_PORT, 0 for none");
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            if (metrics != null) {
                                metrics.close();
                            }
                            agent.close();
                            stopped.countDown();
                        },
                        "shutdown"));
        stopped.await();
        return 0;
    }
}
