/**
 * One poll cycle's values, keyed by tag name, as a read-only map.
 *
 * A `Map` filled per cycle costs a hash insert per value, which at 100,000s of values a second
 * weighs more than decoding them. This map shares the names and their index between cycles
 * (built once per source) and holds only the cycle's values in an array.
 */
import type { TagValue } from '../common/tag-value.ts'

/** Tag names in delivery order and the index of each, shared by every cycle of a source. */
export class TagIndex {
  readonly names: readonly string[]
  readonly #index: Map<string, number>

  constructor(names: readonly string[]) {
    this.names = names
    this.#index = new Map(names.map((n, i) => [n, i]))
  }

  indexOf(name: string): number | undefined {
    return this.#index.get(name)
  }
}

export class TagValueMap implements ReadonlyMap<string, TagValue> {
  readonly #index: TagIndex
  readonly #values: readonly TagValue[]

  /** `values[i]` is the value of `index.names[i]`; every name has one. */
  constructor(index: TagIndex, values: readonly TagValue[]) {
    this.#index = index
    this.#values = values
  }

  get size(): number {
    return this.#values.length
  }

  get(name: string): TagValue | undefined {
    const i = this.#index.indexOf(name)
    return i === undefined ? undefined : this.#values[i]
  }

  has(name: string): boolean {
    return this.#index.indexOf(name) !== undefined
  }

  forEach(fn: (value: TagValue, name: string, map: ReadonlyMap<string, TagValue>) => void, thisArg?: unknown): void {
    const names = this.#index.names
    for (let i = 0; i < this.#values.length; i++) fn.call(thisArg, this.#values[i] as TagValue, names[i] as string, this)
  }

  *entries(): MapIterator<[string, TagValue]> {
    const names = this.#index.names
    for (let i = 0; i < this.#values.length; i++) yield [names[i] as string, this.#values[i] as TagValue]
  }

  *keys(): MapIterator<string> {
    yield* this.#index.names.slice(0, this.#values.length)
  }

  *values(): MapIterator<TagValue> {
    yield* this.#values
  }

  [Symbol.iterator](): MapIterator<[string, TagValue]> {
    return this.entries()
  }
}
