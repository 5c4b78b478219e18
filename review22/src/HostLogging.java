import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Review 22: a host application that logs through SLF4J with its own binding (log4j2 here). */
public final class HostLogging {
    public static void main(String[] args) {
        Logger log = LoggerFactory.getLogger("com.example.TrainingJob");
        System.err.println("provider: " + LoggerFactory.getILoggerFactory().getClass().getName());
        log.info("host info line");
        log.warn("host warning line");
    }
}
