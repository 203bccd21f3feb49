package dev.spinup.controlplane.aws;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** Credentials for an AWS SDK client: a configured key pair, else AWS's default chain (an instance profile). */
public final class AwsCredentials {
    private AwsCredentials() {}

    /** @param accessKey null: the default chain */
    public static AwsCredentialsProvider of(String accessKey, String secretKey) {
        return accessKey == null
                ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey));
    }
}
