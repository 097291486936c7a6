#include "projections/polls.hpp"

#include <algorithm>

namespace almanac::proj {

using ev::Payload;

int32_t percent_tenths(int64_t count, int64_t total) {
  if (total <= 0) return 0;
  // round(count * 1000 / total) for count >= 0: adding half the divisor
  // before the floor division rounds halves up, i.e. away from zero.
  return static_cast<int32_t>((count * 2000 + total) / (2 * total));
}

void PollsModel::apply(const Envelope& e) {
  const int64_t id = e.stream_id;
  switch (e.payload.type) {
    case Payload::PollCreated: {
      const auto& c = *e.payload.AsPollCreated();
      remove(id);
      Poll p;
      p.id = id;
      p.uuid = c.uuid;
      p.event_id = c.event_id;
      p.creator_id = c.creator_id;
      p.title = c.title;
      p.description = c.description;
      for (size_t i = 0; i < c.option_texts.size(); ++i) {
        p.options.push_back({c.first_option_id + static_cast<int64_t>(i), c.option_texts[i], 0});
      }
      if (c.has_ends_at) p.ends_at = c.ends_at;
      p.multiple_choice = c.multiple_choice;
      p.created_at = e.recorded_at;
      p.updated_at = e.recorded_at;
      by_event_.insert(p.event_id, id);
      if (p.ends_at) deadlines_.insert({*p.ends_at, id});
      polls_.assign(id, std::move(p));
      break;
    }
    case Payload::BallotCast: {
      Poll* found = polls_.find(id);
      if (found == nullptr) break;
      Poll& p = *found;
      const auto& b = *e.payload.AsBallotCast();
      auto [slot, fresh] = p.ballots.try_emplace(b.user_id);
      Ballot& ballot = slot->second;
      if (fresh) {
        ballot.voted_at = e.recorded_at;
        ++ballots_;
      } else if (!p.multiple_choice) {
        break;
      }
      for (int64_t option_id : b.option_ids) {
        auto opt = std::find_if(p.options.begin(), p.options.end(),
                                [option_id](const Option& o) { return o.id == option_id; });
        if (opt == p.options.end()) continue;
        if (std::find(ballot.choices.begin(), ballot.choices.end(), option_id) !=
            ballot.choices.end()) {
          continue;
        }
        ballot.choices.push_back(option_id);
        ++opt->count;
        ++p.total;
        if (!p.multiple_choice) break;
      }
      p.updated_at = e.recorded_at;
      break;
    }
    case Payload::PollClosed: {
      Poll* p = polls_.find(id);
      if (p == nullptr || p->closed) break;
      p->closed = true;
      if (p->ends_at) deadlines_.erase({*p->ends_at, id});
      p->closed_at = e.recorded_at;
      p->updated_at = e.recorded_at;
      break;
    }
    default:
      break;
  }
}

void PollsModel::remove(int64_t id) {
  const Poll* p = polls_.find(id);
  if (p == nullptr) return;
  ballots_ -= p->ballots.size();
  by_event_.erase(p->event_id, id);
  if (p->ends_at) deadlines_.erase({*p->ends_at, id});
  polls_.erase(id);
}

std::vector<int64_t> PollsModel::due(int64_t now) const {
  std::vector<int64_t> out;
  for (auto it = deadlines_.begin(); it != deadlines_.end() && it->first <= now; ++it) out.push_back(it->second);
  return out;
}

std::optional<int64_t> PollsModel::next_deadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

void PollsModel::remove_event(int64_t event_id) {
  const IdSet* polls = by_event_.find(event_id);
  if (polls == nullptr) return;
  const std::vector<int64_t> ids = polls->ids();  // remove() changes the set
  for (int64_t id : ids) remove(id);
}

bool PollsModel::ended(const Poll& p, int64_t now) {
  return p.closed || (p.ends_at && *p.ends_at <= now);
}

PollView PollsModel::render(const Poll& p, int64_t now, int64_t viewer) const {
  PollView v;
  v.id = p.id;
  v.version = p.version;
  v.uuid = p.uuid;
  v.event_id = p.event_id;
  v.creator_id = p.creator_id;
  v.title = p.title;
  v.description = p.description;
  v.total_votes = p.total;
  v.voters = static_cast<int64_t>(p.ballots.size());
  int64_t best = 0;
  for (const Option& o : p.options) {
    PollOptionView ov;
    ov.id = o.id;
    ov.text = o.text;
    ov.vote_count = o.count;
    ov.percent_tenths = percent_tenths(o.count, p.total);
    ov.percentage = ov.percent_tenths / 10.0;
    // Strictly greater: a tie keeps the earlier option.
    if (o.count > best) {
      best = o.count;
      v.winner_option_id = o.id;
    }
    v.options.push_back(std::move(ov));
  }
  v.ends_at = p.ends_at;
  v.multiple_choice = p.multiple_choice;
  v.closed = p.closed;
  v.closed_at = p.closed_at;
  v.status = ended(p, now) ? PollStatus::kEnded : PollStatus::kActive;
  v.created_at = p.created_at;
  v.updated_at = p.updated_at;
  auto mine = p.ballots.find(viewer);
  if (mine != p.ballots.end()) {
    v.my_choices = mine->second.choices;
    v.my_voted_at = mine->second.voted_at;
  }
  return v;
}

std::optional<PollView> PollsModel::view(int64_t id, int64_t now, int64_t viewer) const {
  const Poll* p = polls_.find(id);
  if (p == nullptr) return std::nullopt;
  return render(*p, now, viewer);
}

Page<PollView> PollsModel::query(const PollQuery& q, const IdSet* participating) const {
  auto matches = [&](const Poll& p) {
    if (q.event_id && p.event_id != *q.event_id) return false;
    if (q.creator_id && p.creator_id != *q.creator_id) return false;
    if (q.status && (ended(p, q.now) ? PollStatus::kEnded : PollStatus::kActive) != *q.status) {
      return false;
    }
    return true;
  };
  std::vector<const Poll*> hits;
  auto scan_event = [&](int64_t event) {
    if (const IdSet* ids = by_event_.find(event)) {
      for (int64_t id : *ids) {
        const Poll& p = *polls_.find(id);
        if (matches(p)) hits.push_back(&p);
      }
    }
  };
  if (q.event_id) {
    if (!q.participant || (participating && participating->contains(*q.event_id))) scan_event(*q.event_id);
  } else if (q.participant) {
    if (participating)
      for (int64_t event : *participating) scan_event(event);
    std::sort(hits.begin(), hits.end(), [](const Poll* a, const Poll* b) { return a->id < b->id; });
  } else {
    polls_.for_each([&](int64_t, const Poll& p) {
      if (matches(p)) hits.push_back(&p);
    });
  }
  Page<PollView> page;
  page.total = hits.size();
  for (size_t i = q.skip; i < hits.size() && page.items.size() < q.limit; ++i) {
    page.items.push_back(render(*hits[i], q.now, q.viewer));
  }
  return page;
}

uint64_t PollsModel::digest() const {
  SetDigest set;
  polls_.for_each([&](int64_t, const Poll& p) {
    Digest d;
    d.add(p.id).add(p.uuid).add(p.event_id).add(p.creator_id).add(p.title).add(p.description);
    for (const Option& o : p.options) d.add(o.id).add(o.text).add(o.count);
    d.add(p.ends_at).add(p.multiple_choice).add(p.closed).add(p.closed_at).add(p.created_at);
    d.add(p.updated_at).add(p.total);
    for (const auto& [user, b] : p.ballots) {
      d.add(user).add(b.voted_at).add(static_cast<uint64_t>(b.choices.size()));
      for (int64_t c : b.choices) d.add(c);
    }
    set.add(d.value());
  });
  return set.value();
}

void PollsModel::set_version(int64_t id, uint64_t version) {
  if (auto* r = polls_.find(id)) r->version = version;
}

}  // namespace almanac::proj
