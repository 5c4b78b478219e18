import ai.onnxruntime.*;
/** Review 22: bare ONNX Runtime 1.29.0, no SynAlign code: "cuda" probes the CUDA provider, "session" loads MiniLM. Append a 6,000-character argument to crash it. */
public class BareOrtEnvironment { public static void main(String[] a) throws Exception {
  OrtEnvironment env = OrtEnvironment.getEnvironment(); System.err.println("env ok");
  if (a[0].equals("cuda")) { try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) { try { o.addCUDA(); } catch (OrtException e) { System.err.println("addCUDA: " + e.getMessage()); } } System.err.println("cuda probe ok"); return; }
  byte[] m = BareOrtEnvironment.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2-q.onnx").readAllBytes();
  try (OrtSession s = env.createSession(m, new OrtSession.SessionOptions())) { System.err.println("session ok"); }
} }
