package dev.cancellation.demo.imports;

/**
 * A completed import.
 *
 * @param importId its id
 * @param batches how many batch files it wrote
 * @param rows how many rows in total
 * @param directory where the files are
 */
public record ImportResult(String importId, int batches, int rows, String directory) {
}
