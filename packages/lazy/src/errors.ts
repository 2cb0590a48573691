/**
 * An error about one dataset: names the dataset (path or URL), the element
 * inside it and, where there is one, the cell or channel asked for.
 */
export class DatasetError extends Error {
  constructor(
    readonly dataset: string,
    readonly element: string,
    readonly problem: string,
    options?: { cause?: unknown; id?: string | number | bigint },
  ) {
    const id = options?.id;
    super(`${dataset}: /${element.replace(/^\/+/, "")}${id !== undefined ? ` [${String(id)}]` : ""}: ${problem}`, options);
    this.name = "DatasetError";
    this.id = id;
  }
  readonly id: string | number | bigint | undefined;
}
