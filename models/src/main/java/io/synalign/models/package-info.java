/**
 * Sentence encoders: text in, L2-normalised embedding rows out.
 *
 * <p>SynAlign ("Few-shot LLM Synthetic Data with Distribution Matching", WWW 2025) compares real
 * and synthetic texts in a sentence-embedding space: MMD alignment and the GP exploration tracker
 * both consume the {@link io.synalign.kernels.FloatMatrix} rows produced here.
 *
 * <ul>
 *   <li>{@link io.synalign.models.SentenceEncoder}: the contract (model id, dimension, encode).</li>
 *   <li>{@link io.synalign.models.OnnxSentenceEncoder}: DJL + ONNX Runtime + HuggingFace
 *       tokenizers; transformer output pooled (mean or CLS) and L2-normalised, as in
 *       Sentence-BERT (Reimers &amp; Gurevych, EMNLP 2019).</li>
 *   <li>{@link io.synalign.models.ModelRegistry}: {@code minilm} (default, quantised
 *       all-MiniLM-L6-v2, 384-d), {@code bge-small} (quantised BGE-small-en-v1.5, 384-d), or a
 *       directory holding {@code model.onnx} and {@code tokenizer.json}. The bundled models come
 *       from Maven Central jars; nothing is downloaded at run time.</li>
 *   <li>{@link io.synalign.models.EmbeddingCache} and
 *       {@link io.synalign.models.CachingSentenceEncoder}: a crash- and concurrency-safe on-disk
 *       cache keyed by (model id, text).</li>
 * </ul>
 */
package io.synalign.models;
