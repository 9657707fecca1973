package io.nificrm.simulator.http;

/** Thrown by handlers for requests they cannot parse; each persona renders it in its own error shape. */
public class BadRequestException extends RuntimeException {
    public BadRequestException(String message) {
        super(message);
    }
}
