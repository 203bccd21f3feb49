package dev.spinup.controlplane;

import dev.spinup.controlplane.aws.AsgProvider;
import dev.spinup.controlplane.core.Envelope;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** {@code serve}'s options for the {@code aws-asg} capacity provider: offered when --asg-groups names a group. */
final class AsgOptions {
    @Option(
            names = "--asg-groups",
            defaultValue = "${env:SPINUP_ASG_GROUPS}",
            description = "The Auto Scaling group of each region the aws-asg provider grows: region=group,..."
                    + " (env SPINUP_ASG_GROUPS); unset: the provider is not offered.")
    String groups;

    @Option(
            names = "--asg-launch-template",
            defaultValue = "${env:SPINUP_ASG_LAUNCH_TEMPLATE}",
            description = "The groups' launch template id (lt-...): each scale-up writes a version of it with new"
                    + " user data (env SPINUP_ASG_LAUNCH_TEMPLATE).")
    String launchTemplate;

    @Option(
            names = "--asg-user-data",
            defaultValue = "${env:SPINUP_ASG_USER_DATA}",
            description = "The user-data template; {{tokens}}, {{region}} and {{activity}} are filled in"
                    + " (env SPINUP_ASG_USER_DATA).")
    Path userData;

    @Option(
            names = "--asg-lifecycle-hook",
            defaultValue = "${env:SPINUP_ASG_LIFECYCLE_HOOK:-spinup-drain}",
            description = "The groups' terminate lifecycle hook (default: ${DEFAULT-VALUE}).")
    String lifecycleHook;

    @Option(
            names = "--asg-host-capacity",
            defaultValue = "${env:SPINUP_ASG_HOST_CAPACITY}",
            description = "What one instance offers: vcpu,ram-gib,disk-gib (env SPINUP_ASG_HOST_CAPACITY).")
    String hostCapacity;

    @Option(
            names = "--asg-identity-certificate",
            defaultValue = "${env:SPINUP_ASG_IDENTITY_CERTIFICATE}",
            description = "AWS's RSA-2048 public certificate for instance identity documents in --aws-region, PEM"
                    + " (env SPINUP_ASG_IDENTITY_CERTIFICATE): instances of the groups may then enroll by their signed"
                    + " identity at every boot (a warm pool's). Unset: one-time tokens only.")
    Path identityCertificate;

    @Option(
            names = "--aws-region",
            defaultValue = "${env:SPINUP_AWS_REGION:-us-east-1}",
            description = "The groups' AWS region (default: ${DEFAULT-VALUE}). Credentials: the AWS default chain"
                    + " (an instance profile), or SPINUP_AWS_ACCESS_KEY / SPINUP_AWS_SECRET_KEY.")
    String awsRegion;

    @Option(
            names = "--aws-endpoint",
            defaultValue = "${env:SPINUP_AWS_ENDPOINT}",
            description = "Another endpoint for the Auto Scaling, EC2 and Route 53 APIs (env SPINUP_AWS_ENDPOINT);"
                    + " unset: AWS's.")
    URI endpoint;

    /** The provider's settings; null when no group is named. */
    AsgProvider.Config config() {
        if (groups == null || groups.isBlank()) {
            return null;
        }
        Map<String, String> byRegion = new LinkedHashMap<>();
        for (String pair : groups.split(",")) {
            String[] kv = pair.trim().split("=", 2);
            if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank()) {
                throw new IllegalArgumentException("--asg-groups takes region=group,... (got \"" + groups + "\")");
            }
            byRegion.put(kv[0].trim(), kv[1].trim());
        }
        if (launchTemplate == null || userData == null || hostCapacity == null) {
            throw new IllegalArgumentException(
                    "--asg-groups needs --asg-launch-template, --asg-user-data and --asg-host-capacity");
        }
        String[] c = hostCapacity.split(",");
        Envelope capacity;
        try {
            capacity = new Envelope(
                    Integer.parseInt(c[0].trim()), Integer.parseInt(c[1].trim()), Integer.parseInt(c[2].trim()));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "--asg-host-capacity takes vcpu,ram-gib,disk-gib (got \"" + hostCapacity + "\")");
        }
        String template;
        try {
            template = Files.readString(userData);
        } catch (IOException e) {
            throw new IllegalArgumentException("--asg-user-data: cannot read " + userData + ": " + e.getMessage());
        }
        String identity = null;
        if (identityCertificate != null) {
            try {
                identity = Files.readString(identityCertificate);
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        "--asg-identity-certificate: cannot read " + identityCertificate + ": " + e.getMessage());
            }
        }
        var settings = dev.spinup.api.Settings.current();
        return new AsgProvider.Config(
                byRegion,
                launchTemplate,
                template,
                lifecycleHook,
                capacity,
                awsRegion,
                endpoint,
                settings.get("SPINUP_AWS_ACCESS_KEY").orElse(null),
                settings.get("SPINUP_AWS_SECRET_KEY").orElse(null),
                identity);
    }
}
