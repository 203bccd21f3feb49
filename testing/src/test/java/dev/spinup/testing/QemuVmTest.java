package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.agent.drivers.DriverException;
import dev.spinup.agent.drivers.QemuVmDriver;
import dev.spinup.api.v1.GetOperationRequest;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.Workspace;
import dev.spinup.api.v1.WorkspaceState;
import dev.spinup.controlplane.core.Envelope;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Real VMs: a host agent with the qemu driver boots the vm-base-config image (under TCG here, KVM
 * where the machine has it) and the whole lifecycle runs through the public API. CI runs this in
 * its bounded form: one HOBBY VM (1 vCPU, 1 GiB) at a time.
 */
@Tag("vm")
class QemuVmTest {
    private static final Duration VM_OPERATION = Duration.ofMinutes(4);

    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;
    static SpinUpCluster.TestHost host;

    @BeforeAll
    static void start() {
        Path image = dev.spinup.agent.drivers.QemuImage.buildFromCheckout();
        cluster = spinup.cluster();
        host = cluster.startAgentWithQemu(new Envelope(4, 8, 50), image, Duration.ofMinutes(3));
    }

    @Test
    void dataWrittenInsideTheVmSurvivesSuspendArchiveAndRestore() {
        Operation create = cluster.product()
                .createWorkspace(Workspaces.hobby("vm-diary").build())
                .getOperation();
        succeed(create);
        Workspace ws = get(create.getWorkspaceId());
        assertThat(ws.getState()).isEqualTo(WorkspaceState.WORKSPACE_STATE_ACTIVE);
        long firstVm = qemuPid(ws.getId()).orElseThrow(() -> new AssertionError("no qemu process runs the workspace"));
        assertThat(Workspaces.get(ws.getUrl() + "/").body()).contains("vm-diary");
        Workspaces.putNote(ws.getUrl(), "diary", "written inside the VM");
        assertThat(rootFilesystemGib(ws.getId())).isBetween(4.0, 5.0); // HOBBY: 5 GiB disk
        assertThat(bootCopyOfLiveSnapshots(ws.getId(), ws.getUrl()))
                .as("a live full snapshot and a differential on it, booted as another VM")
                .containsExactly("written inside the VM", "after the full");

        // RESIZE to PRO (2 vCPU, 4 GiB, 20 GiB) takes effect at the next boot: the restore below
        succeed(Workspaces.request(cluster.product(), "resize", ws.getId()));
        succeed(Workspaces.request(cluster.product(), "suspend", ws.getId()));
        assertThat(get(ws.getId()).getState()).isEqualTo(WorkspaceState.WORKSPACE_STATE_SUSPENDED);
        assertThat(ProcessHandle.of(firstVm).filter(ProcessHandle::isAlive))
                .as("qemu after suspend")
                .isEmpty();

        succeed(Workspaces.request(cluster.product(), "restore", ws.getId()));
        Workspace resumed = get(ws.getId());
        assertThat(qemuPid(ws.getId())).isPresent().isNotEqualTo(Optional.of(firstVm));
        assertThat(Workspaces.get(resumed.getUrl() + "/notes/diary").body()).isEqualTo("written inside the VM");
        assertThat(rootFilesystemGib(ws.getId()))
                .as("root filesystem grown in the guest")
                .isBetween(19.0, 20.0);
        assertThat(commandLine(
                        ProcessHandle.of(qemuPid(ws.getId()).orElseThrow()).orElseThrow()))
                .contains("-smp 2")
                .contains("-m 4096M");

        succeed(Workspaces.request(cluster.product(), "archive", ws.getId()));
        assertThat(get(ws.getId()).getState()).isEqualTo(WorkspaceState.WORKSPACE_STATE_ARCHIVED);
        assertThat(workspaceDir(ws.getId())).doesNotExist();
        java.util.List<String> tools = cluster.database()
                .withHandle(h -> h.createQuery("SELECT tool FROM snapshots WHERE workspace_id = :ws")
                        .bind("ws", UUID.fromString(ws.getId()))
                        .mapTo(String.class)
                        .list());
        assertThat(tools).containsExactly("qemu-img");

        succeed(Workspaces.request(cluster.product(), "restore", ws.getId()));
        Workspace restored = get(ws.getId());
        assertThat(restored.getState()).isEqualTo(WorkspaceState.WORKSPACE_STATE_ACTIVE);
        assertThat(Workspaces.get(restored.getUrl() + "/notes/diary").body()).isEqualTo("written inside the VM");
        long lastVm = qemuPid(ws.getId()).orElseThrow();

        succeed(Workspaces.request(cluster.product(), "delete", ws.getId()));
        assertThat(ProcessHandle.of(lastVm).filter(ProcessHandle::isAlive))
                .as("qemu after delete")
                .isEmpty();
        assertThat(ProcessHandle.allProcesses().filter(p -> commandLine(p).contains("spinup-" + ws.getId())))
                .as("processes of the deleted workspace")
                .isEmpty();
        assertThat(workspaceDir(ws.getId())).doesNotExist();
    }

    @Test
    void aProjectIsDevelopedInsideTheVmThroughTheEdge() throws Exception {
        Operation create = cluster.product()
                .createWorkspace(Workspaces.hobby("vm-rn")
                        .setTemplate(dev.spinup.api.v1.ProjectTemplate.PROJECT_TEMPLATE_REACT_NATIVE_WEB)
                        .build())
                .getOperation();
        succeed(create);

        String url = get(create.getWorkspaceId()).getUrl() + "/";
        // Vite answers at once but prepares the project's modules on first use, which under TCG
        // takes a while: poll, with a deadline, until a browser sees the page rendered.
        assertThat(Eventually.await(
                        VM_OPERATION, "the dev server's first page", () -> pageOrEmpty(url), page -> !page.isEmpty()))
                .as("served by Vite's dev server, from the node_modules the image carries")
                .contains("/@vite/client");
        assertThat(Eventually.await(
                        VM_OPERATION,
                        "the page rendered in Chromium",
                        () -> {
                            try {
                                return Chromium.renderedDom(spinup.dir(), url);
                            } catch (java.io.IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                throw new AssertionError(e);
                            }
                        },
                        dom -> dom.contains("Rendered by React Native for Web")))
                .contains("Rendered by React Native for Web in your SpinUp workspace");

        // As its user works on it: the preview in one tab, the IDE in another, both through the
        // edge with grants; an edit saved in the IDE shows in the preview by hot reload.
        String id = create.getWorkspaceId();
        CodeServer.awaitReady(host.agent().driver().find(id).orElseThrow().ideEndpoint(), VM_OPERATION);
        Browser.EditView edit = Browser.editAndWatch(
                Workspaces.grant(cluster.product(), id, dev.spinup.api.v1.AccessTarget.ACCESS_TARGET_APP)
                        .getUrl(),
                Workspaces.grant(cluster.product(), id, dev.spinup.api.v1.AccessTarget.ACCESS_TARGET_IDE)
                        .getUrl(),
                "src/App.jsx",
                "Rendered by React Native for Web",
                "Edited inside the VM",
                java.nio.file.Files.createDirectories(
                                Path.of("target/screenshots").toAbsolutePath())
                        .resolve("dev-server-hot-reload-qemu.png"),
                Browser.Pace.TCG_VM);
        assertThat(edit.after()).contains("Edited inside the VM");
        assertThat(edit.reloaded()).as("hot reload, not a page reload").isFalse();
        System.out.println("hot reload inside the VM (TCG): save -> preview in " + edit.saveToPreviewMs() + " ms");

        // The same VM (one boot is a minute under TCG): its terminal, and a port preview.
        theIdesTerminalAndAPortPreviewOpenThroughTheEdge(get(id));
        succeed(Workspaces.request(cluster.product(), "delete", id));
    }

    /**
     * In the workspace's IDE, opened through the edge with a grant: the explorer lists the
     * project, and a server started in its terminal (a busybox shell inside the VM) is reported,
     * forwarded by the host and previewed with a grant for its port.
     */
    private static void theIdesTerminalAndAPortPreviewOpenThroughTheEdge(Workspace ws) throws Exception {
        String ide = host.agent().driver().find(ws.getId()).orElseThrow().ideEndpoint();
        assertThat(ide).as("the IDE's forwarded port").isNotEmpty();
        CodeServer.awaitReady(ide, VM_OPERATION);
        assertThat(EdgeHttp.get(host.agent().edge().address(), "http://" + ws.getIdeHostname() + "/", null)
                        .statusCode())
                .as("the IDE's name, without a grant")
                .isEqualTo(401);

        // In the VM's terminal, as a user would: a server on port 3000, left running.
        String token = UUID.randomUUID().toString().substring(0, 8);
        String server = "require('http').createServer((q, s) => s.end('vm preview " + token + "')).listen(3000)";
        Browser.IdeView view = Browser.openIde(
                Workspaces.grant(cluster.product(), ws.getId(), dev.spinup.api.v1.AccessTarget.ACCESS_TARGET_IDE)
                        .getUrl(),
                java.nio.file.Files.createDirectories(
                                Path.of("target/screenshots").toAbsolutePath())
                        .resolve("workspace-ide-qemu.png"),
                // (busybox has no nohup; the terminal outlives the browser anyway)
                "node -e \"" + server + "\" >/dev/null 2>&1 & cat spinup-start.sh >/dev/null && echo ok-" + token,
                "ok-" + token,
                Browser.Pace.TCG_VM);

        System.out.println("the VM's IDE (TCG): workbench in " + view.workbenchMs() + " ms, a new terminal's prompt in "
                + view.promptMs() + " ms");
        assertThat(view.explorer()).contains("index.html", "package.json", "spinup-start.sh");
        assertThat(view.terminal().lines().map(String::strip))
                .as("the terminal, a shell inside the VM")
                .contains("ok-" + token);

        // The guest reports the port, the host forwards it, the edge previews it with a grant.
        Eventually.await(
                VM_OPERATION,
                "the VM's host to report port 3000",
                () -> get(ws.getId()).getPreviewPortsList().contains(3000));
        dev.spinup.api.v1.AccessGrant grant = cluster.product()
                .createAccessGrant(dev.spinup.api.v1.CreateAccessGrantRequest.newBuilder()
                        .setRequestId("req-" + UUID.randomUUID())
                        .setWorkspaceId(ws.getId())
                        .setTarget(dev.spinup.api.v1.AccessTarget.ACCESS_TARGET_PORT)
                        .setPort(3000)
                        .build())
                .getAccessGrant();
        String cookie = EdgeHttp.cookieOf(EdgeHttp.get(host.agent().edge().address(), grant.getUrl(), null));
        assertThat(EdgeHttp.get(
                                host.agent().edge().address(),
                                "http://" + ws.getId() + "--3000.workspaces.localhost/",
                                cookie)
                        .body())
                .isEqualTo("vm preview " + token);
    }

    @Test
    void aVmThatCrashesIsReportedAndTheAgentCarriesOn() {
        Operation create = cluster.product()
                .createWorkspace(Workspaces.hobby("vm-fragile").build())
                .getOperation();
        succeed(create);
        double before = crashes();
        long pid = qemuPid(create.getWorkspaceId()).orElseThrow();

        ProcessHandle.of(pid).orElseThrow().destroyForcibly();

        Eventually.await(Duration.ofSeconds(30), "the VM crash to reach the control plane", () -> crashes() > before);
        assertThat(host.agent().isConnected()).isTrue();
        succeed(Workspaces.request(cluster.product(), "delete", create.getWorkspaceId()));
        assertThat(workspaceDir(create.getWorkspaceId())).doesNotExist();
    }

    @Test
    void aRestartedAgentAdoptsTheRunningVmAndStopsItGracefully() {
        Operation create = cluster.product()
                .createWorkspace(Workspaces.hobby("vm-adopted").build())
                .getOperation();
        succeed(create);
        String id = create.getWorkspaceId();
        long pid = qemuPid(id).orElseThrow();

        host = cluster.restartAgent(host, null, new Envelope(4, 8, 50));

        assertThat(host.agent().driver().find(id))
                .hasValueSatisfying(
                        w -> assertThat(w.state()).isEqualTo(dev.spinup.agent.drivers.LocalWorkspace.State.RUNNING));
        assertThat(qemuPid(id)).contains(pid);
        double crashesBefore = crashes();
        succeed(Workspaces.request(cluster.product(), "suspend", id));
        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive))
                .as("the adopted qemu after suspend")
                .isEmpty();
        assertThat(crashes()).as("a stop on purpose is not a crash").isEqualTo(crashesBefore);
        assertThat(workspaceDir(id).resolve("console.log"))
                .as("the guest shut down on request, not killed")
                .content()
                .contains("spinup-guest-agent: powering off");
        succeed(Workspaces.request(cluster.product(), "delete", id));
    }

    private static void succeed(Operation op) {
        // a fresh stub per poll: each carries its own call deadline
        Operation done = Eventually.await(
                VM_OPERATION,
                op.getVerb() + " " + op.getId() + " to finish",
                () -> cluster.product()
                        .getOperation(GetOperationRequest.newBuilder()
                                .setOperationId(op.getId())
                                .build())
                        .getOperation(),
                o -> o.getStatus() != OperationStatus.OPERATION_STATUS_PENDING
                        && o.getStatus() != OperationStatus.OPERATION_STATUS_RUNNING);
        assertThat(done.getStatus())
                .as("%s %s: %s", done.getVerb(), done.getId(), done.getError())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
    }

    private static Workspace get(String id) {
        return cluster.product()
                .getWorkspace(
                        GetWorkspaceRequest.newBuilder().setWorkspaceId(id).build())
                .getWorkspace();
    }

    /** The page at {@code url}, or "" while it does not answer within a GET's timeout. */
    private static String pageOrEmpty(String url) {
        try {
            return Workspaces.get(url).body();
        } catch (AssertionError timedOut) {
            return "";
        }
    }

    private static Path workspaceDir(String id) {
        return host.dataDir().resolve("workspaces").resolve(id);
    }

    /** The running qemu of a workspace, found by its process name (-name spinup-<id>), not by our records. */
    private static Optional<Long> qemuPid(String id) {
        return ProcessHandle.allProcesses()
                .filter(p -> commandLine(p).startsWith("qemu-system-x86_64")
                        || commandLine(p).contains("/qemu-system-x86_64"))
                .filter(p -> commandLine(p).contains("spinup-" + id))
                .map(ProcessHandle::pid)
                .findFirst();
    }

    /**
     * Snapshots the running VM the way periodic snapshots do (the driver's exportDisk while it
     * runs): a full, a note written, then a differential on the full. Restores the two into a new
     * VM on the same host and returns the two notes it serves.
     */
    private static java.util.List<String> bootCopyOfLiveSnapshots(String id, String url) {
        QemuVmDriver vms = (QemuVmDriver) host.agent().driver();
        String copy = UUID.randomUUID().toString();
        try {
            var full = new java.io.ByteArrayOutputStream();
            String fullId = UUID.randomUUID().toString();
            assertThat(vms.exportDisk(id, fullId, "", full))
                    .as("a full archive")
                    .isEmpty();
            Workspaces.putNote(url, "later", "after the full");
            var differential = new java.io.ByteArrayOutputStream();
            assertThat(vms.exportDisk(id, UUID.randomUUID().toString(), fullId, differential))
                    .as("a differential on the full")
                    .isEqualTo(fullId);
            vms.importDisk(
                    new dev.spinup.agent.drivers.WorkspaceSpec(copy, "starter", "copy", 1, 1, 5),
                    new java.io.ByteArrayInputStream(full.toByteArray()),
                    new java.io.ByteArrayInputStream(differential.toByteArray()));
            String copyUrl = vms.start(copy);
            return java.util.List.of(
                    Workspaces.get(copyUrl + "/notes/diary").body(),
                    Workspaces.get(copyUrl + "/notes/later").body());
        } catch (DriverException e) {
            throw new AssertionError(e);
        } finally {
            try {
                vms.destroy(copy);
            } catch (DriverException e) {
                throw new AssertionError(e);
            }
        }
    }

    /** The size of the root filesystem as the guest agent sees it (statfs inside the VM). */
    private static double rootFilesystemGib(String id) {
        try {
            String health = ((QemuVmDriver) host.agent().driver()).health(id);
            var m = java.util.regex.Pattern.compile("root_bytes=(\\d+)").matcher(health);
            assertThat(m.find()).as(health).isTrue();
            return Long.parseLong(m.group(1)) / (double) (1L << 30);
        } catch (DriverException e) {
            throw new AssertionError(e);
        }
    }

    private static String commandLine(ProcessHandle p) {
        return p.info().commandLine().orElse("");
    }

    private static double crashes() {
        return Workspaces.metric(cluster.metricsPort(), "spinup_workspace_local_events_total\\{kind=\"crashed\"}")
                .orElse(0);
    }
}
