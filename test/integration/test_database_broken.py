"""A database that breaks under a running `fodns serve` is seen (issue 14).

fodns serves the fixture zones (no backends, so nothing writes to the database)
with HTTP on a free port. Claims:

- Healthy: fodns_database_readable 1, fodns_database_last_read_timestamp_seconds
  within a few seconds of now, /healthz 200 "ok", /status "degraded": null.
- Random bytes written over the whole file (same inode): within 3 s the gauge is
  0, /healthz stays 200 but says "degraded: database unreadable since <UTC time>",
  /status "degraded" says the same, the last-read timestamp stops moving, and DNS
  answers on from the last snapshot. Exactly one log line for the episode, after
  several seconds of polls.
- The good bytes written back: the gauge is 1 again, /healthz "ok", one
  "database readable again" line.
- Truncated to 0 bytes: a second episode, one more line; restored: recovered again.
"""

import json
import os
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402

EN = 'example.net.'


class DatabaseBroken(unittest.TestCase):
    def setUp(self):
        self.f = h.FailoverFodns()
        self.failed = True
        self.f.start()

    def tearDown(self):
        self.f.cleanup(failed=self.failed)

    def get(self, path):
        with urllib.request.urlopen('http://127.0.0.1:%d%s' % (self.f.http_port, path),
                                    timeout=3) as r:
            return r.status, r.read().decode()

    def count_log(self, text):
        return self.f.log_text().count(text)

    def write_db(self, data):
        with open(self.f.db, 'r+b') as out:  # same inode, as a disk error or a stray dd would
            out.write(data)
            out.truncate(len(data))

    def check_broken(self, episode):
        self.assertTrue(h.wait_for(lambda: self.f.metric('fodns_database_readable') == 0, 3.0)[0],
                        'fodns_database_readable did not drop to 0')
        code, body = self.get('/healthz')
        self.assertEqual(code, 200)
        self.assertRegex(body, r'^degraded: database unreadable since '
                               r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: .+\n$')
        code, body = self.get('/status')
        self.assertTrue(json.loads(body)['degraded'].startswith('database unreadable since '))
        last = self.f.metric('fodns_database_last_read_timestamp_seconds')
        time.sleep(2.5)  # a dozen polls: still one line for the episode
        self.assertEqual(self.f.metric('fodns_database_last_read_timestamp_seconds'), last)
        self.assertEqual(self.f.metric('fodns_database_readable'), 0)
        self.assertIsNotNone(self.f.soa_serial(EN), 'DNS stopped answering')
        self.assertEqual(self.count_log('msg="database unreadable; still serving the last snapshot"'),
                         episode)

    def check_recovered(self, episode):
        self.assertTrue(h.wait_for(lambda: self.f.metric('fodns_database_readable') == 1, 5.0)[0],
                        'fodns_database_readable did not come back to 1')
        self.assertEqual(self.get('/healthz'), (200, 'ok\n'))
        self.assertIsNone(json.loads(self.get('/status')[1])['degraded'])
        self.assertEqual(self.count_log('msg="database readable again"'), episode)

    def test_overwritten_then_truncated(self):
        self.assertEqual(self.f.metric('fodns_database_readable'), 1)
        last = self.f.metric('fodns_database_last_read_timestamp_seconds')
        self.assertLess(abs(time.time() - last), 5)
        self.assertEqual(self.get('/healthz'), (200, 'ok\n'))
        self.assertIsNone(json.loads(self.get('/status')[1])['degraded'])
        with open(self.f.db, 'rb') as inp:
            good = inp.read()

        self.write_db(os.urandom(len(good)))
        self.check_broken(1)
        self.write_db(good)
        self.check_recovered(1)

        self.write_db(b'')
        self.check_broken(2)
        self.write_db(good)
        self.check_recovered(2)
        self.assertIsNotNone(self.f.soa_serial(EN))
        self.failed = False


if __name__ == '__main__':
    unittest.main(verbosity=2)
