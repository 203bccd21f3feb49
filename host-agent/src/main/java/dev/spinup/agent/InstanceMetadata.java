package dev.spinup.agent;

import dev.spinup.api.v1.AwsInstanceIdentity;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * What an EC2 instance's metadata service (IMDSv2) says of the instance: its identity document
 * and AWS's RSA-2048 signature of it, which the control plane verifies to enroll the instance
 * with no token (an Auto Scaling warm pool's instance, enrolled when it enters service).
 */
final class InstanceMetadata {
    private final URI endpoint;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** @param endpoint the metadata service, {@code http://169.254.169.254} on EC2 */
    InstanceMetadata(URI endpoint) {
        this.endpoint = endpoint;
    }

    AwsInstanceIdentity identity() throws IOException, InterruptedException {
        String session = send(HttpRequest.newBuilder(at("/latest/api/token"))
                .header("X-aws-ec2-metadata-token-ttl-seconds", "60")
                .PUT(HttpRequest.BodyPublishers.noBody()));
        return AwsInstanceIdentity.newBuilder()
                .setDocument(get("/latest/dynamic/instance-identity/document", session))
                .setRsa2048(get("/latest/dynamic/instance-identity/rsa2048", session))
                .build();
    }

    private String get(String path, String session) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(at(path)).header("X-aws-ec2-metadata-token", session));
    }

    private URI at(String path) {
        String base = endpoint.toString();
        return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path);
    }

    private String send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> answer =
                http.send(request.timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 200) {
            throw new IOException("the instance metadata service answered " + answer.statusCode() + " to "
                    + answer.request().method() + " " + answer.uri().getPath());
        }
        return answer.body();
    }
}
