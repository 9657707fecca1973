package io.nificrm.services.queue;

import io.nificrm.api.CrmException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** What a Kafka client failure means for a call as a whole. Messages name the action and the Kafka error, never contents. */
final class KafkaErrors {
    private KafkaErrors() {
    }

    static CrmException toCrmException(String action, Throwable failure) {
        Throwable e = failure;
        while ((e instanceof ExecutionException || e instanceof java.util.concurrent.CompletionException) && e.getCause() != null) {
            e = e.getCause();
        }
        CrmException.Reason reason;
        if (e instanceof AuthenticationException) {
            reason = CrmException.Reason.AUTHENTICATION;
        } else if (e instanceof AuthorizationException) {
            reason = CrmException.Reason.PERMISSION;
        } else if (e instanceof UnknownTopicOrPartitionException) {
            reason = CrmException.Reason.NOT_FOUND;
        } else if (e instanceof RecordTooLargeException || e instanceof RecordBatchTooLargeException || e instanceof InvalidTopicException
                || e instanceof SerializationException) {
            reason = CrmException.Reason.INVALID_REQUEST;
        } else if (e instanceof InvalidConfigurationException || e instanceof org.apache.kafka.common.config.ConfigException) {
            reason = CrmException.Reason.CONFIGURATION;
        } else if (e instanceof RetriableException || e instanceof TimeoutException || e instanceof org.apache.kafka.common.errors.TimeoutException
                || e instanceof KafkaException || e instanceof InterruptedException) {
            reason = CrmException.Reason.UNAVAILABLE;
        } else {
            reason = CrmException.Reason.UNAVAILABLE;
        }
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + firstLine(e.getMessage());
        return new CrmException(reason, e.getClass().getSimpleName(), 0, action + " failed: " + message, failure);
    }

    private static String firstLine(String text) {
        int newline = text.indexOf('\n');
        String line = newline < 0 ? text : text.substring(0, newline);
        return line.length() > 400 ? line.substring(0, 397) + "..." : line;
    }
}
