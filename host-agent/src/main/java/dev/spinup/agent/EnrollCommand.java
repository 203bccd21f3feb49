package dev.spinup.agent;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code spinup-host-agent enroll}: the one command a new machine runs before it is a host. */
@Command(
        name = "enroll",
        mixinStandardHelpOptions = true,
        description = "Enroll this machine with a one-time token, or on an EC2 instance of an aws-asg region's group"
                + " by its signed instance identity; writes host.key, host.crt, ca.crt and host-id.")
final class EnrollCommand implements Callable<Integer> {
    @Option(names = "--control-plane", required = true, description = "A control-plane address host:port.")
    String controlPlane;

    @Option(
            names = "--ca",
            required = true,
            description = "The control plane's CA certificate, PEM (obtained out of band).")
    Path ca;

    @Option(
            names = "--token",
            defaultValue = "${env:SPINUP_ENROLLMENT_TOKEN}",
            description = "The one-time enrollment token (env SPINUP_ENROLLMENT_TOKEN).")
    String token;

    @Option(
            names = "--aws-identity",
            description = "Instead of a token: this EC2 instance's identity document, signed by AWS, from the"
                    + " instance metadata service (the instance must be in service in an aws-asg region's"
                    + " group, and --fqdn must start with its instance id).")
    boolean awsIdentity;

    @Option(
            names = "--aws-imds-endpoint",
            defaultValue = "${env:SPINUP_AWS_IMDS_ENDPOINT:-http://169.254.169.254}",
            description = "The instance metadata service (default: ${DEFAULT-VALUE}).")
    java.net.URI imdsEndpoint;

    @Option(names = "--fqdn", required = true, description = "This host's name.")
    String fqdn;

    @Option(names = "--capacity", required = true, description = "vcpu,ram_gb,disk_gb this host offers.")
    String capacity;

    @Option(names = "--out", required = true, description = "Where to write the credentials.")
    Path out;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        int[] cap = dev.spinup.api.Settings.numbers(
                spec.commandLine(), "--capacity", capacity, ",", "vcpu,ram_gb,disk_gb", 1);
        if (awsIdentity == (token != null && !token.isBlank())) {
            spec.commandLine().getErr().println("enroll: give either --token or --aws-identity");
            return 2;
        }
        dev.spinup.api.v1.EnrollResponse response;
        try {
            var proof = dev.spinup.api.v1.EnrollRequest.newBuilder();
            if (awsIdentity) {
                proof.setAwsIdentity(new InstanceMetadata(imdsEndpoint).identity());
            } else {
                proof.setToken(token);
            }
            response = HostEnrollment.enroll(
                    controlPlane,
                    ca,
                    proof.build(),
                    fqdn,
                    dev.spinup.api.v1.Envelope.newBuilder()
                            .setVcpu(cap[0])
                            .setRamGb(cap[1])
                            .setDiskGb(cap[2])
                            .build(),
                    out);
        } catch (io.grpc.StatusRuntimeException e) {
            // the control plane's answer: status, ErrorInfo reason, what it said
            String reason = dev.spinup.api.ErrorInfos.of(e)
                    .map(info -> " " + info.getReason())
                    .orElse("");
            spec.commandLine()
                    .getErr()
                    .println("enroll: " + e.getStatus().getCode() + reason + ": "
                            + e.getStatus().getDescription());
            return 1;
        } catch (IllegalArgumentException e) {
            // e.g. --ca names a file without a certificate
            spec.commandLine().getErr().println("enroll: " + e.getMessage());
            return 2;
        } catch (java.io.UncheckedIOException e) {
            spec.commandLine()
                    .getErr()
                    .println("enroll: cannot write the credentials: "
                            + e.getCause().getMessage());
            return 1;
        } catch (java.io.IOException e) {
            spec.commandLine().getErr().println("enroll: cannot read this instance's identity: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
        System.out.println("enrolled as host " + response.getHostId() + " in region " + response.getRegion()
                + "; credentials in " + out);
        return 0;
    }
}
