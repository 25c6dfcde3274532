// Publisher: hands the newest snapshot to every DNS worker (a LatestBoard: see
// latest_board.h for the threading rule). publish() runs on the control loop; the
// workers read their own copy of the pointer without a lock.
#pragma once

#include "server/latest_board.h"
#include "zone/zone_snapshot.h"

namespace fodns::server {

class Publisher : public LatestBoard<zone::SnapshotPtr> {};

}  // namespace fodns::server
