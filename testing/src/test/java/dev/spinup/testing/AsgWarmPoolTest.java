package dev.spinup.testing;

import static dev.spinup.testing.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.agent.HostEnrollment;
import dev.spinup.api.v1.AwsInstanceIdentity;
import dev.spinup.api.v1.EnrollRequest;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.controlplane.aws.AsgProvider;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.testing.aws.AutoScalingStub;
import io.grpc.Status;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An Auto Scaling group's warm pool: its instances ran their user data when they were put in the
 * pool, long before they enter service, so no one-time token can wait for them. When the group
 * takes one into service it boots and runs the image's bootstrap, which enrolls it by its EC2
 * instance identity (document and RSA-2048 signature from the instance metadata service, here the
 * stub's, signed with a key whose certificate the control plane is given in place of AWS's). The
 * control plane enrolls an instance once, only while it is in service in a region's group, and
 * only with the document its signature holds.
 */
class AsgWarmPoolTest {
    static final String REGION = "asg-warm";
    static final String GROUP = "spinup-asg-warm";
    static final Duration GROWTH = Duration.ofMinutes(3);
    static final dev.spinup.api.v1.Envelope CAPACITY = dev.spinup.api.v1.Envelope.newBuilder()
            .setVcpu(2)
            .setRamGb(4)
            .setDiskGb(40)
            .build();

    /** The README's bootstrap, run at every boot: enroll once by the instance identity, then run the agent. */
    static final String BOOT = """
            #!/bin/bash
            set -eu
            if [ ! -f "$INSTANCE_DIR/host.crt" ]; then
              $AGENT enroll --aws-identity --aws-imds-endpoint "$IMDS" --control-plane "$CP" --ca "$CA" \\
                --fqdn "$INSTANCE_ID.asg-warm.localhost" --capacity 2,4,40 --out "$INSTANCE_DIR"
            fi
            exec $AGENT --control-plane "$CP" --cert "$INSTANCE_DIR/host.crt" --key "$INSTANCE_DIR/host.key" \\
              --ca "$INSTANCE_DIR/ca.crt" --data-dir "$INSTANCE_DIR" --port-range "$PORTS" --edge none --metrics-port 0
            """;

    static final AutoScalingStub stub = new AutoScalingStub(tempDir(), GROUP, "lt-0123456789abcdef0", 4, 29_600);

    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.with(b -> b.pollingInterval(Duration.ofSeconds(1))
            .asg(new AsgProvider.Config(
                    Map.of(REGION, GROUP),
                    "lt-0123456789abcdef0",
                    "#!/bin/bash\necho 'the tokens {{tokens}} never reach a warm instance'\n",
                    "spinup-drain",
                    new Envelope(2, 4, 40),
                    "us-east-1",
                    stub.endpoint(),
                    "stub-access",
                    "stub-secret",
                    stub.identities().certificatePem())));

    @AfterAll
    static void stop() {
        stub.close();
    }

    @Test
    void aWarmPoolsInstanceEnrollsByItsIdentityOnceWhenItEntersService() throws Exception {
        SpinUpCluster cluster = spinup.cluster();
        stub.environment(Map.of(
                "AGENT", String.join(" ", ChildProcesses.agentCommand()),
                "CP", "localhost:" + cluster.controlPlane().grpcPort(),
                "CA", cluster.caCertificate().toString()));
        cluster.elasticRegion(REGION, AsgProvider.NAME);
        cluster.setRegionCapacity(REGION, 4, 0, Duration.ofMinutes(10));
        List<String> warm = stub.warmPool(2, BOOT);

        Operation create = cluster.product()
                .createWorkspace(
                        Workspaces.hobby("from-the-pool").setRegion(REGION).build())
                .getOperation();
        Operation done = Workspaces.awaitDone(cluster.product(), create.getId(), GROWTH);
        assertThat(done.getStatus())
                .as(done.getError().getMessage())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
        assertThat(hostNames(cluster))
                .as("the pool's first instance, enrolled by its identity")
                .containsExactly(warm.get(0) + ".asg-warm.localhost");

        // its identity, replayed under another name, enrolls nothing more
        assertError(
                () -> enroll(cluster, identity(warm.get(0)), warm.get(0) + ".again.localhost"),
                Status.Code.UNAUTHENTICATED,
                ErrorReason.ERROR_REASON_ENROLLMENT_IDENTITY_USED);
        // the instance still stopped in the pool is not in service
        assertThat(assertError(
                                () -> enroll(cluster, identity(warm.get(1)), warm.get(1) + ".asg-warm.localhost"),
                                Status.Code.UNAUTHENTICATED,
                                ErrorReason.ERROR_REASON_ENROLLMENT_IDENTITY_INVALID)
                        .getMetadataMap())
                .containsEntry("instanceId", warm.get(1));
        // a document that is not the one signed
        AwsInstanceIdentity forged = identity(warm.get(0)).toBuilder()
                .setDocument(stub.identities().document("i-0000000000000abc", "us-east-1"))
                .build();
        assertError(
                () -> enroll(cluster, forged, "i-0000000000000abc.asg-warm.localhost"),
                Status.Code.UNAUTHENTICATED,
                ErrorReason.ERROR_REASON_ENROLLMENT_IDENTITY_INVALID);
        assertThat(hostNames(cluster)).hasSize(1);
        assertThat(Workspaces.metric(
                                cluster.metricsPort(),
                                "spinup_enrollments_refused_total\\{reason=\"enrollment_identity_invalid\"}")
                        .orElseThrow())
                .isEqualTo(2);
        assertThat(stub.calls().stream().map(AutoScalingStub.Call::action)).contains("DescribeAutoScalingInstances");
    }

    private static AwsInstanceIdentity identity(String instanceId) {
        String document = stub.identities().document(instanceId, "us-east-1");
        return AwsInstanceIdentity.newBuilder()
                .setDocument(document)
                .setRsa2048(stub.identities().rsa2048(document))
                .build();
    }

    private static void enroll(SpinUpCluster cluster, AwsInstanceIdentity identity, String fqdn) throws Exception {
        HostEnrollment.enroll(
                "localhost:" + cluster.controlPlane().grpcPort(),
                cluster.caCertificate(),
                EnrollRequest.newBuilder().setAwsIdentity(identity).build(),
                fqdn,
                CAPACITY,
                Files.createTempDirectory(spinup.dir(), "enroll"));
    }

    private static List<String> hostNames(SpinUpCluster cluster) {
        return cluster.database()
                .withHandle(h -> h.createQuery("SELECT fqdn FROM hosts WHERE region_id = :r")
                        .bind("r", REGION)
                        .mapTo(String.class)
                        .list());
    }

    private static java.nio.file.Path tempDir() {
        try {
            return Files.createTempDirectory("spinup-asg-warm");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
