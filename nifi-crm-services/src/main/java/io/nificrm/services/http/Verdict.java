package io.nificrm.services.http;

import io.nificrm.api.CrmException;

import java.time.Duration;

/** What an unsuccessful HTTP answer means for the call that got it. */
public sealed interface Verdict {

    /** The token was refused: get a new one and try once more. */
    record Reauthenticate(String detail) implements Verdict {
    }

    /** The server is throttling: wait, then try again. */
    record Throttled(Duration retryAfter, String detail) implements Verdict {
    }

    /** A server-side or network hiccup: back off and try again (if the call is safe to repeat). */
    record Transient(String detail) implements Verdict {
    }

    /** Trying again cannot help (or must wait for hours): report it. */
    record Fail(CrmException exception) implements Verdict {
    }
}
