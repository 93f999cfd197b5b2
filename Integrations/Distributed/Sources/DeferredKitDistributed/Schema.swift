// MARK: - Schema

/// The tables and server-side functions behind distributed promises.
///
/// Every state change that must be atomic is one call of a PL/pgSQL function, so it is one statement in
/// one transaction and one round trip: inserting a graph (`dk_submit`), claiming (`dk_claim`), renewing
/// leases (`dk_heartbeat`), completing under a fence (`dk_complete`), cancelling (`dk_cancel`) and the
/// leader's sweep (`dk_sweep`). Settling a promise and making its dependents ready happen in `dk_settle`,
/// which every one of them calls inside its own transaction.
///
/// Timestamps are the server's `now()`: no client clock is ever compared with another.
enum Schema {
    /// A key for `pg_advisory_xact_lock` so that two processes installing the schema at once take turns.
    static let installLockKey: Int64 = 0x646b_7363_6865_6d61   // "dkschema"
    /// A key for the session-level `pg_try_advisory_lock` held by the one sweeper that leads.
    static let sweeperLockKey: Int64 = 0x646b_7377_6565_7072   // "dksweepr"
    /// The NOTIFY channel. Payloads: `s<id>` (promise settled) and `r<handler>` (a promise became ready).
    static let channel = "dk"

    static let statements: [String] = [
        """
        CREATE TABLE IF NOT EXISTS dk_promise (
            id              text PRIMARY KEY,
            kind            text NOT NULL CHECK (kind IN ('call', 'then', 'recover', 'all')),
            handler         text,
            spec            jsonb NOT NULL,
            input           jsonb,
            state           text NOT NULL CHECK (state IN ('waiting', 'ready', 'running', 'resolved', 'rejected')),
            pending         integer NOT NULL DEFAULT 0,
            output          jsonb,
            failure         jsonb,
            attempt         integer NOT NULL DEFAULT 0,
            max_attempts    integer NOT NULL,
            fence           bigint NOT NULL DEFAULT 0,
            lease_seconds   double precision NOT NULL,
            backoff_seconds double precision NOT NULL,
            lease_until     timestamptz,
            worker          text,
            run_after       timestamptz NOT NULL DEFAULT now(),
            deadline        timestamptz,
            created_at      timestamptz NOT NULL DEFAULT now(),
            settled_at      timestamptz
        )
        """,
        // The claim's order within one handler. `id` is in it because promises made ready together share
        // `run_after`: without it every claim sorted all ready rows of its handlers (an index on
        // (handler, run_after) alone, which earlier versions made, invites that plan, hence the drop).
        "DROP INDEX IF EXISTS dk_promise_ready",
        "CREATE INDEX IF NOT EXISTS dk_promise_claim ON dk_promise (handler, run_after, id) WHERE state = 'ready'",
        "CREATE INDEX IF NOT EXISTS dk_promise_leases ON dk_promise (lease_until) WHERE state = 'running'",
        """
        CREATE INDEX IF NOT EXISTS dk_promise_deadlines ON dk_promise (deadline)
            WHERE deadline IS NOT NULL AND state IN ('waiting', 'ready', 'running')
        """,
        """
        CREATE TABLE IF NOT EXISTS dk_edge (
            child    text NOT NULL REFERENCES dk_promise (id) ON DELETE CASCADE,
            position integer NOT NULL,
            parent   text NOT NULL REFERENCES dk_promise (id),
            PRIMARY KEY (child, position)
        )
        """,
        "CREATE INDEX IF NOT EXISTS dk_edge_parent ON dk_edge (parent)",

        // Hands one settled parent's outcome to one waiting child through one edge. Returns whether the
        // child is now settled (the caller then cascades from it). A `then` or `all` child inherits a
        // failure without running; a `recover` child becomes ready with the failure as its input, and
        // passes a success through unchanged.
        """
        CREATE OR REPLACE FUNCTION dk_deliver(p_parent text, p_child text) RETURNS boolean
        LANGUAGE plpgsql AS $$
        DECLARE
            par dk_promise%ROWTYPE;
            chi dk_promise%ROWTYPE;
            left_over integer;
            values jsonb;
        BEGIN
            SELECT * INTO par FROM dk_promise WHERE id = p_parent;
            SELECT * INTO chi FROM dk_promise WHERE id = p_child FOR UPDATE;
            IF chi.state <> 'waiting' THEN
                RETURN false;
            END IF;
            IF par.state = 'rejected' THEN
                IF chi.kind = 'recover' THEN
                    UPDATE dk_promise SET state = 'ready', input = par.failure, pending = 0, run_after = now()
                        WHERE id = p_child;
                    PERFORM pg_notify('dk', 'r' || chi.handler);
                    RETURN false;
                END IF;
                UPDATE dk_promise SET state = 'rejected', failure = par.failure, settled_at = now(),
                        fence = fence + 1, pending = 0
                    WHERE id = p_child;
                RETURN true;
            END IF;
            IF chi.kind = 'then' THEN
                UPDATE dk_promise SET state = 'ready', input = par.output, pending = 0, run_after = now()
                    WHERE id = p_child;
                PERFORM pg_notify('dk', 'r' || chi.handler);
                RETURN false;
            ELSIF chi.kind = 'recover' THEN
                UPDATE dk_promise SET state = 'resolved', output = par.output, settled_at = now(),
                        fence = fence + 1, pending = 0
                    WHERE id = p_child;
                RETURN true;
            END IF;
            -- 'all': one delivery per edge; the last one gathers the parents' outputs in edge order.
            UPDATE dk_promise SET pending = pending - 1 WHERE id = p_child RETURNING pending INTO left_over;
            IF left_over > 0 THEN
                RETURN false;
            END IF;
            SELECT coalesce(jsonb_agg(p.output ORDER BY e.position), '[]'::jsonb) INTO values
                FROM dk_edge e JOIN dk_promise p ON p.id = e.parent WHERE e.child = p_child;
            UPDATE dk_promise SET state = 'resolved', output = values, settled_at = now(), fence = fence + 1
                WHERE id = p_child;
            RETURN true;
        END $$
        """,

        // Walks the dependents of newly settled promises, iteratively (a work list, no recursion), and
        // announces each settlement.
        """
        CREATE OR REPLACE FUNCTION dk_cascade(p_settled text[]) RETURNS void
        LANGUAGE plpgsql AS $$
        DECLARE
            work text[] := p_settled;
            current text;
            edge record;
        BEGIN
            WHILE cardinality(work) > 0 LOOP
                current := work[1];
                work := work[2:];
                PERFORM pg_notify('dk', 's' || current);
                FOR edge IN SELECT e.child FROM dk_edge e WHERE e.parent = current ORDER BY e.child, e.position LOOP
                    IF dk_deliver(current, edge.child) THEN
                        work := work || edge.child;
                    END IF;
                END LOOP;
            END LOOP;
        END $$
        """,

        // Settles one promise (unless already settled) and makes its dependents ready, in the caller's
        // transaction. The fence moves on, so any attempt still running can no longer complete it.
        """
        CREATE OR REPLACE FUNCTION dk_settle(p_id text, p_output jsonb, p_failure jsonb) RETURNS boolean
        LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE dk_promise
                SET state = CASE WHEN p_failure IS NULL THEN 'resolved' ELSE 'rejected' END,
                    output = CASE WHEN p_failure IS NULL THEN coalesce(p_output, 'null'::jsonb) END,
                    failure = p_failure, settled_at = now(), fence = fence + 1, lease_until = NULL
                WHERE id = p_id AND state NOT IN ('resolved', 'rejected');
            IF NOT FOUND THEN
                RETURN false;
            END IF;
            PERFORM dk_cascade(ARRAY[p_id]);
            RETURN true;
        END $$
        """,

        // Inserts a graph in one transaction. Nodes come parents first. The same id with the same definition
        // is skipped; the same id with another definition raises SQLSTATE DK001 (alreadyExists). Parents
        // that existed before are locked FOR SHARE, so a settlement racing with this insert either commits
        // first (and is delivered here) or waits and then sees the new edges.
        """
        CREATE OR REPLACE FUNCTION dk_submit(p_nodes jsonb) RETURNS integer
        LANGUAGE plpgsql AS $$
        DECLARE
            node jsonb;
            spec jsonb;
            existing jsonb;
            fresh text[] := ARRAY[]::text[];
            parent_id text;
            parent_state text;
            pos integer;
        BEGIN
            FOR node IN SELECT value FROM jsonb_array_elements(p_nodes) LOOP
                spec := jsonb_build_object('kind', node->'kind', 'handler', node->'handler',
                                           'input', node->'input', 'parents', node->'parents');
                INSERT INTO dk_promise (id, kind, handler, spec, input, state, pending, max_attempts,
                                        lease_seconds, backoff_seconds, deadline)
                VALUES (node->>'id', node->>'kind', node->>'handler', spec,
                        CASE WHEN node->>'kind' = 'call' THEN node->'input' END,
                        CASE WHEN node->>'kind' = 'call' THEN 'ready' ELSE 'waiting' END,
                        jsonb_array_length(node->'parents'),
                        (node->>'maxAttempts')::integer, (node->>'leaseSeconds')::float8,
                        (node->>'backoffSeconds')::float8,
                        CASE WHEN node ? 'deadlineSeconds'
                             THEN now() + (node->>'deadlineSeconds')::float8 * interval '1 second' END)
                ON CONFLICT (id) DO NOTHING;
                IF FOUND THEN
                    fresh := fresh || (node->>'id');
                    IF node->>'kind' = 'call' THEN
                        PERFORM pg_notify('dk', 'r' || (node->>'handler'));
                    END IF;
                ELSE
                    SELECT p.spec INTO existing FROM dk_promise p WHERE p.id = node->>'id';
                    IF existing IS DISTINCT FROM spec THEN
                        RAISE EXCEPTION 'promise % already exists with another definition', node->>'id'
                            USING ERRCODE = 'DK001', DETAIL = node->>'id';
                    END IF;
                END IF;
            END LOOP;
            FOR node IN SELECT value FROM jsonb_array_elements(p_nodes) LOOP
                CONTINUE WHEN NOT (node->>'id' = ANY (fresh));
                pos := 0;
                FOR parent_id IN SELECT value FROM jsonb_array_elements_text(node->'parents') LOOP
                    INSERT INTO dk_edge (child, position, parent) VALUES (node->>'id', pos, parent_id);
                    pos := pos + 1;
                END LOOP;
            END LOOP;
            -- Parents settled before this graph existed deliver now; parents inserted here deliver when
            -- they settle, through the edges just written.
            FOR node IN SELECT value FROM jsonb_array_elements(p_nodes) LOOP
                CONTINUE WHEN NOT (node->>'id' = ANY (fresh));
                IF node->>'kind' = 'all' AND jsonb_array_length(node->'parents') = 0 THEN
                    PERFORM dk_settle(node->>'id', '[]'::jsonb, NULL);
                END IF;
                FOR parent_id IN SELECT value FROM jsonb_array_elements_text(node->'parents') LOOP
                    CONTINUE WHEN parent_id = ANY (fresh);
                    SELECT state INTO parent_state FROM dk_promise WHERE id = parent_id FOR SHARE;
                    IF parent_state IN ('resolved', 'rejected') THEN
                        IF dk_deliver(parent_id, node->>'id') THEN
                            PERFORM dk_cascade(ARRAY[node->>'id']);
                        END IF;
                    END IF;
                END LOOP;
            END LOOP;
            RETURN cardinality(fresh);
        END $$
        """,

        // Claims up to p_limit ready promises for these handlers, oldest `run_after` first: SKIP LOCKED so
        // concurrent workers never wait for one another, a new fence and a lease per attempt. Each handler's
        // first p_limit rows come from the `dk_promise_claim` index in order (no sort of the ready rows,
        // whatever the statistics say), then the oldest p_limit of those are taken. Rows locked but not
        // taken (when several handlers have ready rows) are skipped by other claims only until this
        // statement commits.
        """
        CREATE OR REPLACE FUNCTION dk_claim(p_handlers text[], p_worker text, p_limit integer)
        RETURNS TABLE (id text, handler text, input text, fence bigint, attempt integer, lease_seconds float8)
        LANGUAGE sql AS $$
            WITH picked AS (
                SELECT c.id FROM unnest(p_handlers) AS h(name)
                CROSS JOIN LATERAL (
                    SELECT p.id, p.run_after FROM dk_promise p
                    WHERE p.state = 'ready' AND p.handler = h.name AND p.run_after <= now()
                    ORDER BY p.run_after, p.id
                    LIMIT p_limit
                    FOR UPDATE SKIP LOCKED
                ) AS c
                ORDER BY c.run_after, c.id
                LIMIT p_limit
            )
            UPDATE dk_promise p
                SET state = 'running', attempt = p.attempt + 1, fence = p.fence + 1, worker = p_worker,
                    lease_until = now() + p.lease_seconds * interval '1 second'
                FROM picked WHERE p.id = picked.id
                RETURNING p.id, p.handler, p.input::text, p.fence, p.attempt, p.lease_seconds
        $$
        """,

        // Renews the leases of attempts that still hold their fence; returns the ids still held.
        """
        CREATE OR REPLACE FUNCTION dk_heartbeat(p_held jsonb) RETURNS SETOF text
        LANGUAGE sql AS $$
            UPDATE dk_promise p SET lease_until = now() + p.lease_seconds * interval '1 second'
                FROM jsonb_to_recordset(p_held) AS h(id text, fence bigint)
                WHERE p.id = h.id AND p.fence = h.fence AND p.state = 'running'
                RETURNING p.id
        $$
        """,

        // Completes attempts. An entry whose fence no longer matches (lease lost, timed out, cancelled,
        // already settled) changes nothing and is left out of the returned ids.
        """
        CREATE OR REPLACE FUNCTION dk_complete(p_done jsonb) RETURNS SETOF text
        LANGUAGE plpgsql AS $$
        DECLARE
            done record;
            current dk_promise%ROWTYPE;
        BEGIN
            FOR done IN SELECT * FROM jsonb_to_recordset(p_done) AS d(id text, fence bigint, output jsonb, failure jsonb)
                        ORDER BY d.id LOOP
                SELECT * INTO current FROM dk_promise WHERE id = done.id FOR UPDATE;
                CONTINUE WHEN NOT FOUND OR current.state <> 'running' OR current.fence <> done.fence;
                PERFORM dk_settle(done.id, done.output, done.failure);
                RETURN NEXT done.id;
            END LOOP;
        END $$
        """,

        // Cancels a promise that has not settled; its dependents receive the cancellation.
        """
        CREATE OR REPLACE FUNCTION dk_cancel(p_id text) RETURNS boolean
        LANGUAGE sql AS $$
            SELECT dk_settle(p_id, NULL, jsonb_build_object('kind', 'cancelled', 'promise', p_id,
                                                           'message', 'cancelled'))
        $$
        """,

        // The leader's sweep: promises past their deadline are rejected with a timeout; attempts whose
        // lease expired are retried with exponential backoff, or rejected when no attempt is left.
        """
        CREATE OR REPLACE FUNCTION dk_sweep() RETURNS integer
        LANGUAGE plpgsql AS $$
        DECLARE
            r record;
            swept integer := 0;
        BEGIN
            FOR r IN SELECT p.id FROM dk_promise p
                     WHERE p.deadline <= now() AND p.state IN ('waiting', 'ready', 'running')
                     ORDER BY p.deadline LIMIT 1000 FOR UPDATE SKIP LOCKED LOOP
                PERFORM dk_settle(r.id, NULL, jsonb_build_object('kind', 'timedOut', 'promise', r.id,
                                                                 'message', 'deadline passed'));
                swept := swept + 1;
            END LOOP;
            FOR r IN SELECT p.id, p.handler, p.attempt, p.max_attempts, p.backoff_seconds FROM dk_promise p
                     WHERE p.state = 'running' AND p.lease_until < now()
                     ORDER BY p.lease_until LIMIT 1000 FOR UPDATE SKIP LOCKED LOOP
                IF r.attempt >= r.max_attempts THEN
                    PERFORM dk_settle(r.id, NULL, jsonb_build_object('kind', 'attemptsExhausted', 'promise', r.id,
                        'message', format('lease lost on all %s attempts', r.attempt)));
                ELSE
                    UPDATE dk_promise SET state = 'ready', fence = fence + 1, worker = NULL, lease_until = NULL,
                            run_after = now() + r.backoff_seconds * power(2, r.attempt - 1) * interval '1 second'
                        WHERE id = r.id;
                    PERFORM pg_notify('dk', 'r' || r.handler);
                END IF;
                swept := swept + 1;
            END LOOP;
            RETURN swept;
        END $$
        """,
    ]
}
