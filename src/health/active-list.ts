/** A node of an ActiveList: `value` is null once the node is removed. */
export interface ActiveNode<T> {
  value: T | null;
  prev: ActiveNode<T> | null;
  next: ActiveNode<T> | null;
}

/**
 * What is running now (requests in flight, fetches waiting on the drain deadline), as a list
 * whose nodes are unlinked, and let go of their value, when the work ends. Neither a Set nor a
 * listener on a long-lived AbortSignal: what a long-lived Set has dropped, and the listeners
 * removed from a long-lived signal, stay reachable for V8's young collections until a full one,
 * so with one added and dropped per request, every request's objects were moved to the old
 * generation (README, Performance: issue 14, fifth session).
 */
export class ActiveList<T> {
  private head: ActiveNode<T> | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(value: T): ActiveNode<T> {
    const node: ActiveNode<T> = { value, prev: null, next: this.head };
    if (this.head) this.head.prev = node;
    this.head = node;
    this.count++;
    return node;
  }

  /** False when `node` was already removed (a request ends with 'finish', then 'close'). */
  remove(node: ActiveNode<T>): boolean {
    if (node.value === null) return false;
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    node.prev = node.next = node.value = null;
    this.count--;
    return true;
  }

  /** A copy, newest first: callers end work, which removes it, while they go through it. */
  values(): T[] {
    const all: T[] = [];
    for (let node = this.head; node; node = node.next) all.push(node.value!);
    return all;
  }
}
